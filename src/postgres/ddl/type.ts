import type { TypeRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// Enum, composite, range and domain types (a domain's NOT VALID CHECKs as post-data ALTER DOMAIN).

export function typeEntries(row: TypeRow, q: IdentifierQuoter, options: DdlOptions): Entry[] {
  const name = q.qualified(row.schema, row.name);
  const base = { section: 'pre-data' as const, priority: Priority.type, schema: row.schema, name: row.name, owner: row.owner };
  const trailer = (kind: string) =>
    `${ownerTo(kind, name, row.owner, q, options)}${commentOn(`${kind} ${name}`, row.comment)}${grants('TYPE', name, row.owner, row.acl, q, options)}`;
  if (row.typtype === 'e') {
    const labels = (row.labels ?? []).map((label) => `    ${quoteLiteral(label)}`).join(',\n');
    return [{
      ...base, id: `pg_type:${row.oid}`, type: 'TYPE',
      sql: `CREATE TYPE ${name} AS ENUM (\n${labels}\n);\n${trailer('TYPE')}`,
      drop: `DROP TYPE IF EXISTS ${name};`, dependsOn: new Set(),
    }];
  }
  if (row.typtype === 'c') {
    const attributes = (row.attributes ?? [])
      .map((a) => `\t${q.ident(a.name)} ${a.type}${a.collation === null ? '' : ` COLLATE ${a.collation}`}`)
      .join(',\n');
    const columnComments = (row.attributes ?? []).map((a) => commentOn(`COLUMN ${name}.${q.ident(a.name)}`, a.comment)).join('');
    return [{
      ...base, id: `pg_type:${row.oid}`, type: 'TYPE',
      sql: `CREATE TYPE ${name} AS (\n${attributes}\n);\n${trailer('TYPE')}${columnComments}`,
      drop: `DROP TYPE IF EXISTS ${name};`, dependsOn: new Set(),
    }];
  }
  if (row.typtype === 'r' && row.range !== null) {
    const range = row.range;
    // As pg_dump: the operator class only when it is not the subtype's default.
    let definition = `\n    subtype = ${range.subtype},\n    multirange_type_name = ${q.qualified(range.multirange[0], range.multirange[1])}`;
    if (range.opclass !== null) definition += `,\n    subtype_opclass = ${q.qualified(range.opclass[0], range.opclass[1])}`;
    if (range.collation !== null) definition += `,\n    collation = ${q.qualified(range.collation[0], range.collation[1])}`;
    if (range.canonical !== null) definition += `,\n    canonical = ${range.canonical}`;
    if (range.subtypeDiff !== null) definition += `,\n    subtype_diff = ${range.subtypeDiff}`;
    return [{
      ...base, id: `pg_type:${row.oid}`, type: 'TYPE',
      sql: `CREATE TYPE ${name} AS RANGE (${definition}\n);\n${trailer('TYPE')}`,
      drop: `DROP TYPE IF EXISTS ${name};`, dependsOn: new Set(),
    }];
  }
  // Domain: validated CHECKs inline; NOT VALID ones are added after the data, as pg_dump does.
  let sql = `CREATE DOMAIN ${name} AS ${row.basetype}`;
  if (row.collation !== null) sql += ` COLLATE ${row.collation}`;
  if (row.defaultexpr !== null) sql += ` DEFAULT ${row.defaultexpr}`;
  if (row.notnull) sql += ' NOT NULL';
  const checks = row.domainchecks ?? [];
  for (const check of checks.filter((c) => c.validated)) sql += `\n\tCONSTRAINT ${q.ident(check.name)} ${check.def}`;
  const checkComment = (check: (typeof checks)[number]) => commentOn(`CONSTRAINT ${q.ident(check.name)} ON DOMAIN ${name}`, check.comment);
  const entries: Entry[] = [{
    ...base, id: `pg_type:${row.oid}`, type: 'DOMAIN',
    sql: `${sql};\n${trailer('DOMAIN')}${checks.filter((c) => c.validated).map(checkComment).join('')}`,
    drop: `DROP DOMAIN IF EXISTS ${name};`, dependsOn: new Set(),
  }];
  for (const check of checks.filter((c) => !c.validated)) {
    entries.push({
      id: `pg_constraint:${check.oid}`, section: 'post-data', priority: Priority.constraint, type: 'CHECK CONSTRAINT',
      schema: row.schema, name: `${row.name} ${check.name}`, sortName: row.name, owner: row.owner,
      sql: `ALTER DOMAIN ${name}\n    ADD CONSTRAINT ${q.ident(check.name)} ${check.def};\n${checkComment(check)}`,
      // ALTER DOMAIN has no IF EXISTS (pg_dump writes one anyway, which fails). DROP DOMAIN, later in
      // the --clean list, removes the check with the domain, in an empty database and over an earlier restore.
      drop: null, dependsOn: new Set(),
    });
  }
  return entries;
}
