import type { TypeRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority, shellTypeId } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// Enum, composite, range, base and shell types and domains (a domain's NOT VALID CHECKs as post-data ALTER DOMAIN).

const alignments: Record<string, string> = { c: 'char', s: 'int2', i: 'int4', d: 'double' };
const storages: Record<string, string> = { p: 'plain', e: 'external', x: 'extended', m: 'main' };

/** A base type's CREATE TYPE body as pg_dump writes it: INTERNALLENGTH, the functions, then only what differs from the defaults. */
function baseTypeDefinition(base: NonNullable<TypeRow['base']>): string {
  let sql = `\n    INTERNALLENGTH = ${base.length === -1 ? 'variable' : String(base.length)}`;
  sql += `,\n    INPUT = ${base.input},\n    OUTPUT = ${base.output}`;
  if (base.receive !== null) sql += `,\n    RECEIVE = ${base.receive}`;
  if (base.send !== null) sql += `,\n    SEND = ${base.send}`;
  if (base.typmodIn !== null) sql += `,\n    TYPMOD_IN = ${base.typmodIn}`;
  if (base.typmodOut !== null) sql += `,\n    TYPMOD_OUT = ${base.typmodOut}`;
  if (base.analyze !== null) sql += `,\n    ANALYZE = ${base.analyze}`;
  if (base.collatable) sql += ',\n    COLLATABLE = true';
  if (base.defaultExpr !== null) sql += `,\n    DEFAULT = ${base.defaultExpr}`;
  else if (base.default !== null) sql += `,\n    DEFAULT = ${quoteLiteral(base.default)}`;
  if (base.subscript !== null) sql += `,\n    SUBSCRIPT = ${base.subscript}`;
  if (base.element !== null) sql += `,\n    ELEMENT = ${base.element}`;
  if (base.category !== 'U') sql += `,\n    CATEGORY = ${quoteLiteral(base.category)}`;
  if (base.preferred) sql += ',\n    PREFERRED = true';
  if (base.delimiter !== ',') sql += `,\n    DELIMITER = ${quoteLiteral(base.delimiter)}`;
  const alignment = alignments[base.align];
  const storage = storages[base.storage];
  if (alignment === undefined || storage === undefined) throw new Error(`a base type has alignment '${base.align}' and storage '${base.storage}', which CREATE TYPE cannot write`);
  sql += `,\n    ALIGNMENT = ${alignment},\n    STORAGE = ${storage}`;
  if (base.byValue) sql += ',\n    PASSEDBYVALUE';
  return sql;
}

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
  if (row.typtype === 'p') {
    // A shell type that was never defined (CREATE TYPE s.t; alone): pg_dump writes it as it is.
    return [{
      ...base, id: `pg_type:${row.oid}`, type: 'TYPE', sql: `CREATE TYPE ${name};\n${trailer('TYPE')}`,
      drop: `DROP TYPE IF EXISTS ${name};`, dependsOn: new Set(),
    }];
  }
  if (row.typtype === 'b' && row.base !== null) {
    // pg_dump's shell-type dance: the I/O functions take or return the type, and CREATE TYPE names
    // them, so the shell comes first (no owner line, no DROP), then the functions (which depend on
    // the shell: schema.ts), then the full definition. DROP ... CASCADE takes the I/O functions with it.
    return [
      { ...base, id: shellTypeId(row.oid), type: 'SHELL TYPE', sql: `CREATE TYPE ${name};\n`, drop: null, dependsOn: new Set() },
      {
        ...base, id: `pg_type:${row.oid}`, type: 'TYPE',
        sql: `CREATE TYPE ${name} (${baseTypeDefinition(row.base)}\n);\n${trailer('TYPE')}`,
        drop: `DROP TYPE IF EXISTS ${name} CASCADE;`, dependsOn: new Set(),
      },
    ];
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
  // 17+: the NOT NULL is a constraint whose name (given or not) is kept, as pg_dump writes it.
  const notNull = row.notnullconstraint;
  if (notNull !== null) sql += ` CONSTRAINT ${q.ident(notNull.name)} NOT NULL`;
  else if (row.notnull) sql += ' NOT NULL';
  const checks = row.domainchecks ?? [];
  for (const check of checks.filter((c) => c.validated)) sql += `\n\tCONSTRAINT ${q.ident(check.name)} ${check.def}`;
  const checkComment = (check: { name: string; comment: string | null }) => commentOn(`CONSTRAINT ${q.ident(check.name)} ON DOMAIN ${name}`, check.comment);
  const entries: Entry[] = [{
    ...base, id: `pg_type:${row.oid}`, type: 'DOMAIN',
    sql: `${sql};\n${trailer('DOMAIN')}${[...(notNull === null ? [] : [notNull]), ...checks.filter((c) => c.validated)].map(checkComment).join('')}`,
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
