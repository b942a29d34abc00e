import type { ForeignDataWrapperRow, ForeignServerRow, UserMappingRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, optionsClause, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// Foreign data wrappers, foreign servers and user mappings, in pg_dump's layout. A user mapping's
// options often hold a password: the script carries it, as pg_dump's does, so the script is as
// secret as the database; nothing here logs SQL.

export function foreignDataWrapperEntry(row: ForeignDataWrapperRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.ident(row.name);
  const kind = 'FOREIGN DATA WRAPPER';
  let sql = `CREATE ${kind} ${name}`;
  if (row.handler !== null) sql += ` HANDLER ${row.handler}`;
  if (row.validator !== null) sql += ` VALIDATOR ${row.validator}`;
  sql += `${optionsClause(row.options, q)};\n`;
  sql += `${ownerTo(kind, name, row.owner, q, options)}${commentOn(`${kind} ${name}`, row.comment)}${grants(kind, name, row.owner, row.acl, q, options)}`;
  return {
    id: `pg_foreign_data_wrapper:${row.oid}`, section: 'pre-data', priority: Priority.foreignDataWrapper, type: kind, schema: null,
    name: row.name, owner: row.owner, sql, drop: `DROP ${kind} IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

export function foreignServerEntry(row: ForeignServerRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.ident(row.name);
  let sql = `CREATE SERVER ${name}`;
  if (row.type !== null && row.type !== '') sql += ` TYPE ${quoteLiteral(row.type)}`;
  if (row.version !== null && row.version !== '') sql += ` VERSION ${quoteLiteral(row.version)}`;
  sql += ` FOREIGN DATA WRAPPER ${q.ident(row.wrapper)}${optionsClause(row.options, q)};\n`;
  sql += `${ownerTo('SERVER', name, row.owner, q, options)}${commentOn(`SERVER ${name}`, row.comment)}${grants('FOREIGN SERVER', name, row.owner, row.acl, q, options)}`;
  return {
    id: `pg_foreign_server:${row.oid}`, section: 'pre-data', priority: Priority.foreignServer, type: 'SERVER', schema: null,
    name: row.name, owner: row.owner, sql, drop: `DROP SERVER IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

export function userMappingEntry(row: UserMappingRow, q: IdentifierQuoter): Entry {
  const target = `FOR ${q.ident(row.role)} SERVER ${q.ident(row.server)}`;
  return {
    id: `pg_user_mapping:${row.oid}`, section: 'pre-data', priority: Priority.userMapping, type: 'USER MAPPING', schema: null,
    name: `USER MAPPING ${row.role} SERVER ${row.server}`, owner: null,
    sql: `CREATE USER MAPPING ${target}${optionsClause(row.options, q)};\n`, drop: `DROP USER MAPPING IF EXISTS ${target};`, dependsOn: new Set(),
  };
}
