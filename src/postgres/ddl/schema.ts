import type { SchemaRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// CREATE SCHEMA (the public schema only gets its comment and grants).

export function schemaEntry(row: SchemaRow, q: IdentifierQuoter, options: DdlOptions): Entry | null {
  const name = q.ident(row.name);
  if (row.name === 'public') {
    // initdb creates it; a user comment or grants on it still need to travel. So does an owner other
    // than 15's pg_database_owner (a 14 database's is its bootstrap superuser, which a restore
    // into 15+ must keep, as pg_dump does: the owner's privileges go with it).
    const comment = row.comment !== null && row.comment !== 'standard public schema' ? commentOn(`SCHEMA ${name}`, row.comment) : '';
    const owner = row.owner === 'pg_database_owner' ? '' : ownerTo('SCHEMA', name, row.owner, q, options);
    const sql = `-- *not* creating schema, since initdb creates it\n${owner}${comment}`;
    return {
      id: `pg_namespace:${row.oid}`, section: 'pre-data', priority: Priority.schema, type: 'SCHEMA', schema: null, name: row.name,
      owner: row.owner, sql, drop: null, dependsOn: new Set(),
    };
  }
  return {
    id: `pg_namespace:${row.oid}`, section: 'pre-data', priority: Priority.schema, type: 'SCHEMA', schema: null, name: row.name,
    owner: row.owner,
    sql: `CREATE SCHEMA ${name};\n${ownerTo('SCHEMA', name, row.owner, q, options)}${commentOn(`SCHEMA ${name}`, row.comment)}${grants('SCHEMA', name, row.owner, row.acl, q, options)}`,
    drop: `DROP SCHEMA IF EXISTS ${name};`,
    dependsOn: new Set(),
  };
}
