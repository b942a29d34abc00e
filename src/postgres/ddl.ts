import type {
  AclPrivilege,
  BuiltinAclRow,
  ColumnRow,
  ConstraintRow,
  DefaultAclRow,
  IndexProperties,
  ExtensionRow,
  FunctionRow,
  IndexRow,
  PolicyRow,
  RelationRow,
  RuleRow,
  SchemaRow,
  SequenceRow,
  TriggerRow,
  TypeRow,
} from './catalog.ts';
import { commentSafe, quoteLiteral, type IdentifierQuoter } from './quote.ts';

/**
 * One item of the dump, like an entry of pg_dump's table of contents: the SQL that creates an
 * object, the statement that drops it for --clean, and the objects it must come after.
 */
export interface Entry {
  /** `catalog:oid` for catalog objects (the key pg_depend edges are mapped to), else a synthetic key. */
  id: string;
  section: 'pre-data' | 'post-data' | 'final';
  /** pg_dump's kind priority (pg_dump_sort.c): the first sort key. */
  priority: number;
  /** Header `Type:` text. */
  type: string;
  schema: string | null;
  /** Header `Name:` text (not quoted, as pg_dump prints it). */
  name: string;
  /** Secondary sort key for post-data kinds (the table name). */
  sortName?: string;
  owner: string | null;
  sql: string;
  drop: string | null;
  dependsOn: Set<string>;
}

/** Priorities in pg_dump's order (pg_dump_sort.c, PG18); the gaps leave room for kinds added later. */
export const Priority = {
  schema: 1,
  extension: 5,
  type: 6,
  function: 8,
  relation: 17,
  tableAttach: 18,
  /** Not kinds of pg_dump's own (it writes both inside the sequence's entry): right after the tables they name. */
  ownedBy: 19,
  identity: 20,
  /** pg_dump's ATTRDEF: a column DEFAULT written as its own ALTER TABLE (a view's, or one split out of CREATE TABLE). */
  attributeDefault: 21,
  constraint: 30,
  index: 31,
  indexAttach: 32,
  rule: 34,
  trigger: 35,
  foreignKey: 36,
  rowSecurity: 37,
  policy: 38,
  /** The ACL pass: after every object exists, before materialized views are refreshed (as pg_dump). */
  acl: 40,
  defaultAcl: 41,
  databaseSettings: 45,
  refreshMaterializedView: 50,
} as const;

export interface DdlOptions {
  /** Keep OWNER TO and GRANT/REVOKE (pg_dump's default); off = pg_dump --no-owner --no-privileges. */
  owner: boolean;
}

const header = (entry: Pick<Entry, 'type' | 'schema' | 'name' | 'owner'>, options: DdlOptions) =>
  `--\n-- Name: ${commentSafe(entry.name)}; Type: ${entry.type}; Schema: ${commentSafe(entry.schema ?? '-')}; Owner: ${
    options.owner && entry.owner !== null ? commentSafe(entry.owner) : '-'
  }\n--\n\n`;

/** An entry's text as it appears in the script: header, SQL, blank line. */
export function renderEntry(entry: Entry, options: DdlOptions): string {
  return `${header(entry, options)}${entry.sql}\n`;
}

/** `COMMENT ON ... IS '...';` or nothing. */
function commentOn(target: string, comment: string | null): string {
  return comment === null ? '' : `\nCOMMENT ON ${target} IS ${quoteLiteral(comment)};\n`;
}

function ownerTo(kind: string, target: string, owner: string, q: IdentifierQuoter, options: DdlOptions): string {
  return options.owner ? `\nALTER ${kind} ${target} OWNER TO ${q.ident(owner)};\n` : '';
}

/** One aclitem: what `grantor` gave `grantee` (null: PUBLIC), without and with the grant option. */
interface AclItem {
  grantee: string | null;
  grantor: string;
  plain: string[];
  withOption: string[];
  /** Equal for equal items: how an ACL is compared with its baseline. */
  key: string;
}

/** Groups aclexplode()'s privileges back into items (one per grantee and grantor), in the ACL's order. */
function aclItems(privileges: AclPrivilege[]): AclItem[] {
  const items = new Map<string, Omit<AclItem, 'key'>>();
  for (const { grantee, grantor, privilege, grantable } of privileges) {
    const pair = JSON.stringify([grantee, grantor]);
    const item = items.get(pair) ?? { grantee, grantor, plain: [], withOption: [] };
    items.set(pair, item);
    (grantable ? item.withOption : item.plain).push(privilege);
  }
  return [...items.values()].map((item) => ({ ...item, key: JSON.stringify([item.grantee, item.grantor, item.plain, item.withOption]) }));
}

const granteeSql = (item: AclItem, q: IdentifierQuoter) => (item.grantee === null ? 'PUBLIC' : q.ident(item.grantee));

/**
 * GRANT statements for one ACL item, on `on` (e.g. `ON TABLE s.t`; `privileges` puts a column's
 * name after each privilege). A grant made by someone other than the object's owner (who
 * held the grant option) is made as that role, as pg_dump does: a superuser's GRANT is recorded
 * as the owner's.
 */
function grantStatements(item: AclItem, privileges: (names: string[]) => string, on: string, q: IdentifierQuoter, owner: string | null): string[] {
  const lines: string[] = [];
  if (item.plain.length > 0) lines.push(`GRANT ${privileges(item.plain)} ${on} TO ${granteeSql(item, q)};`);
  if (item.withOption.length > 0) lines.push(`GRANT ${privileges(item.withOption)} ${on} TO ${granteeSql(item, q)} WITH GRANT OPTION;`);
  if (owner === null || item.grantor === owner || lines.length === 0) return lines;
  return [`SET SESSION AUTHORIZATION ${q.ident(item.grantor)};`, ...lines, 'RESET SESSION AUTHORIZATION;'];
}

/**
 * GRANTs that recreate an object's ACL exactly: revoke the built-in defaults, then grant each
 * item. pg_dump diffs against acldefault() to print fewer lines; the resulting ACL is the same.
 */
function grants(kind: string, target: string, owner: string, acl: AclPrivilege[] | null, q: IdentifierQuoter, options: DdlOptions): string {
  if (!options.owner || acl === null) return '';
  const lines = [`REVOKE ALL ON ${kind} ${target} FROM PUBLIC;`, `REVOKE ALL ON ${kind} ${target} FROM ${q.ident(owner)};`];
  for (const item of aclItems(acl)) lines.push(...grantStatements(item, (names) => names.join(','), `ON ${kind} ${target}`, q, owner));
  return `\n${lines.join('\n')}\n`;
}

/**
 * The statements that turn an ACL equal to `baseline` into `acl` (pg_dump's buildACLCommands with
 * a baseline): REVOKE ALL from each grantee whose baseline item is gone or changed, then GRANT each
 * item the baseline lacks. Running them again changes nothing, so a restore over itself is safe.
 */
function aclChanges(
  acl: AclPrivilege[],
  baseline: AclPrivilege[],
  q: IdentifierQuoter,
  revoke: (grantee: string) => string,
  grant: (item: AclItem) => string[],
): string[] {
  const current = aclItems(acl);
  const initial = aclItems(baseline);
  const currentKeys = new Set(current.map((item) => item.key));
  const initialKeys = new Set(initial.map((item) => item.key));
  const lines: string[] = [];
  const revoked = new Set<string | null>();
  for (const item of initial) {
    if (currentKeys.has(item.key) || revoked.has(item.grantee)) continue;
    revoked.add(item.grantee);
    lines.push(revoke(granteeSql(item, q)));
  }
  for (const item of current) if (!initialKeys.has(item.key)) lines.push(...grant(item));
  return lines;
}

/** Column privileges (`GRANT SELECT(c) ON TABLE s.t TO r`): a new column has none, so they are granted as they are. */
function columnGrants(table: string, owner: string, columns: ColumnRow[], q: IdentifierQuoter, options: DdlOptions): string {
  if (!options.owner) return '';
  const lines: string[] = [];
  for (const column of columns) {
    for (const item of aclItems(column.acl ?? [])) {
      lines.push(...grantStatements(item, (names) => names.map((n) => `${n}(${q.ident(column.name)})`).join(','), `ON TABLE ${table}`, q, owner));
    }
  }
  return lines.length === 0 ? '' : `\n${lines.join('\n')}\n`;
}

/**
 * Changed privileges of an object the dump does not create (a pg_catalog function, the plpgsql
 * language, an extension's table...): only the difference from its initial privileges.
 */
export function builtinAclEntry(row: BuiltinAclRow, q: IdentifierQuoter): Entry {
  const on = `ON ${row.kind} ${row.target}`;
  const column = row.column === null ? null : q.ident(row.column);
  const privileges = (names: string[]) => names.map((n) => (column === null ? n : `${n}(${column})`)).join(',');
  const lines = aclChanges(
    row.acl,
    row.baseline,
    q,
    (grantee) => `REVOKE ${column === null ? 'ALL' : `ALL(${column})`} ${on} FROM ${grantee};`,
    (item) => grantStatements(item, privileges, on, q, row.owner),
  );
  return {
    id: `acl:${row.classid}:${row.oid}:${row.subid}`, section: 'final', priority: Priority.acl, type: 'ACL', schema: null,
    name: `${row.kind} ${row.target}${row.column === null ? '' : ` column ${row.column}`}`, owner: null,
    sql: `${lines.join('\n')}\n`, drop: null, dependsOn: new Set(),
  };
}

const defaultAclKinds: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS', L: 'LARGE OBJECTS' };

/** A dollar-quoted literal whose tag does not occur in the text. */
function dollarQuoted(text: string): string {
  let tag = 'immich_backup';
  while (text.includes(`$${tag}$`)) tag += '_';
  return `$${tag}$${text}$${tag}$`;
}

/**
 * ALTER DEFAULT PRIVILEGES, in the ACL pass: objects the restore creates must not get them. Its
 * --clean statement puts the defaults back first (objects recreated by a restore over an earlier
 * one would get them otherwise); for a schema, only if the schema is there.
 */
export function defaultAclEntry(row: DefaultAclRow, q: IdentifierQuoter): Entry | null {
  const objects = defaultAclKinds[row.objtype];
  if (objects === undefined) return null;
  const prefix = `ALTER DEFAULT PRIVILEGES FOR ROLE ${q.ident(row.role)}${row.schema === null ? '' : ` IN SCHEMA ${q.ident(row.schema)}`}`;
  const privileges = (names: string[]) => names.join(',');
  const change = (from: AclPrivilege[], to: AclPrivilege[]) =>
    aclChanges(to, from, q, (grantee) => `${prefix} REVOKE ALL ON ${objects} FROM ${grantee};`, (item) =>
      grantStatements(item, privileges, `ON ${objects}`, q, null).map((line) => `${prefix} ${line}`));
  const apply = change(row.baseline, row.acl);
  if (apply.length === 0) return null;
  const reset = change(row.acl, row.baseline);
  let drop: string | null = reset.length === 0 ? null : reset.join('\n');
  if (drop !== null && row.schema !== null) {
    const statements = reset.map((line) => `        EXECUTE ${quoteLiteral(line)};`).join('\n');
    drop = `DO ${dollarQuoted(`\nBEGIN\n    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${quoteLiteral(row.schema)}) THEN\n${statements}\n    END IF;\nEND\n`)};`;
  }
  return {
    id: `pg_default_acl:${row.oid}`, section: 'final', priority: Priority.defaultAcl, type: 'DEFAULT ACL', schema: row.schema,
    name: `DEFAULT PRIVILEGES FOR ${objects}`, owner: row.role, sql: `${apply.join('\n')}\n`, drop, dependsOn: new Set(),
  };
}

export function schemaEntry(row: SchemaRow, q: IdentifierQuoter, options: DdlOptions): Entry | null {
  const name = q.ident(row.name);
  if (row.name === 'public') {
    // initdb creates it; a user comment or grants on it still need to travel.
    const comment = row.comment !== null && row.comment !== 'standard public schema' ? commentOn(`SCHEMA ${name}`, row.comment) : '';
    const sql = `-- *not* creating schema, since initdb creates it\n${comment}`;
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

export function extensionEntry(row: ExtensionRow, q: IdentifierQuoter): Entry {
  const name = q.ident(row.name);
  return {
    id: `pg_extension:${row.oid}`, section: 'pre-data', priority: Priority.extension, type: 'EXTENSION', schema: null,
    name: row.name, owner: null,
    // No VERSION: the target installs its own default version, as pg_dump does. An extension the
    // dumping role does not own was created beforehand by a superuser (Immich's non-superuser
    // setup): the role could not drop it or comment on it on restore, so the script does neither
    // (its control-file comment comes with CREATE EXTENSION; a changed one is still written).
    sql: `CREATE EXTENSION IF NOT EXISTS ${name} WITH SCHEMA ${q.ident(row.schema)};\n${commentOn(
      `EXTENSION ${name}`,
      !row.owned && row.comment === row.defaultComment ? null : row.comment,
    )}`,
    drop: row.owned ? `DROP EXTENSION IF EXISTS ${name};` : null,
    dependsOn: new Set(),
  };
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

export function functionEntry(row: FunctionRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const kind = row.kind === 'p' ? 'PROCEDURE' : 'FUNCTION';
  const signature = `${q.qualified(row.schema, row.name)}(${row.identityArgs})`;
  // pg_get_functiondef keeps SQL-standard bodies (RETURN / BEGIN ATOMIC) parsed and qualified; never rebuild from prosrc.
  const definition = row.definition.replace(/\s*$/, '');
  return {
    id: `pg_proc:${row.oid}`, section: 'pre-data', priority: Priority.function, type: kind, schema: row.schema,
    name: `${row.name}(${row.identityArgs})`, owner: row.owner,
    sql: `${definition};\n${ownerTo(kind, signature, row.owner, q, options)}${commentOn(`${kind} ${signature}`, row.comment)}${grants(kind, signature, row.owner, row.acl, q, options)}`,
    drop: `DROP ${kind} IF EXISTS ${signature};`,
    dependsOn: new Set(),
  };
}

const sequenceTypeLimits: Record<string, { min: bigint; max: bigint }> = {
  smallint: { min: -32768n, max: 32767n },
  integer: { min: -2147483648n, max: 2147483647n },
  bigint: { min: -9223372036854775808n, max: 9223372036854775807n },
};

/** START/INCREMENT/MIN/MAX/CACHE lines shared by CREATE SEQUENCE and identity columns. */
function sequenceOptions(row: SequenceRow, indent: string, withType: boolean): string[] {
  const limits = sequenceTypeLimits[row.type] ?? sequenceTypeLimits.bigint!;
  const ascending = BigInt(row.increment) > 0n;
  const defaultMin = ascending ? 1n : limits.min;
  const defaultMax = ascending ? limits.max : -1n;
  const lines: string[] = [];
  if (withType && row.type !== 'bigint') lines.push(`${indent}AS ${row.type}`);
  lines.push(`${indent}START WITH ${row.start}`, `${indent}INCREMENT BY ${row.increment}`);
  lines.push(BigInt(row.min) === defaultMin ? `${indent}NO MINVALUE` : `${indent}MINVALUE ${row.min}`);
  lines.push(BigInt(row.max) === defaultMax ? `${indent}NO MAXVALUE` : `${indent}MAXVALUE ${row.max}`);
  lines.push(`${indent}CACHE ${row.cache}`);
  if (row.cycle) lines.push(`${indent}CYCLE`);
  return lines;
}

/**
 * A sequence: CREATE SEQUENCE for plain and serial ones (+ a separate OWNED BY entry), or, for an
 * identity column, an ADD GENERATED entry that keeps the sequence's real name (Immich's
 * naturalearth_countries_tmp_id_seq), never the inline form that would rename it.
 */
export function sequenceEntries(
  row: SequenceRow,
  relation: RelationRow | undefined,
  ownerTable: RelationRow | undefined,
  identityKind: string | undefined,
  q: IdentifierQuoter,
  options: DdlOptions,
): Entry[] {
  const name = q.qualified(row.schema, row.name);
  if (row.identity && ownerTable !== undefined && row.ownedByColumn !== null) {
    const table = q.qualified(ownerTable.schema, ownerTable.name);
    const generated = identityKind === 'd' ? 'BY DEFAULT' : 'ALWAYS';
    return [{
      id: `pg_class:${row.oid}`, section: 'pre-data', priority: Priority.identity, type: 'SEQUENCE', schema: row.schema,
      name: row.name, owner: null,
      sql: `ALTER TABLE ${table} ALTER COLUMN ${q.ident(row.ownedByColumn)} ADD GENERATED ${generated} AS IDENTITY (\n${[
        `    SEQUENCE NAME ${name}`,
        ...sequenceOptions(row, '    ', false),
      ].join('\n')}\n);\n${
        // The sequence's persistence is its own (an unlogged identity sequence on a logged table, or the reverse).
        row.persistence === 'u' ? `ALTER SEQUENCE ${name} SET UNLOGGED;\n` : ownerTable.persistence === 'u' ? `ALTER SEQUENCE ${name} SET LOGGED;\n` : ''
      }${commentOn(`SEQUENCE ${name}`, relation?.comment ?? null)}${grants('SEQUENCE', name, ownerTable.owner, relation?.acl ?? null, q, options)}`,
      drop: null,
      dependsOn: new Set([`pg_class:${ownerTable.oid}`]),
    }];
  }
  const owner = relation?.owner ?? null;
  const entries: Entry[] = [{
    id: `pg_class:${row.oid}`, section: 'pre-data', priority: Priority.relation, type: 'SEQUENCE', schema: row.schema,
    name: row.name, owner,
    sql: `CREATE ${row.persistence === 'u' ? 'UNLOGGED ' : ''}SEQUENCE ${name}\n${sequenceOptions(row, '    ', true).join('\n')};\n${
      owner === null ? '' : ownerTo('SEQUENCE', name, owner, q, options)
    }${commentOn(`SEQUENCE ${name}`, relation?.comment ?? null)}${owner === null ? '' : grants('SEQUENCE', name, owner, relation?.acl ?? null, q, options)}`,
    drop: `DROP SEQUENCE IF EXISTS ${name};`,
    dependsOn: new Set(),
  }];
  if (ownerTable !== undefined && row.ownedByColumn !== null) {
    entries.push({
      id: `owned-by:${row.oid}`, section: 'pre-data', priority: Priority.ownedBy, type: 'SEQUENCE OWNED BY', schema: row.schema,
      name: row.name, owner: null,
      sql: `ALTER SEQUENCE ${name} OWNED BY ${q.qualified(ownerTable.schema, ownerTable.name)}.${q.ident(row.ownedByColumn)};\n`,
      drop: null,
      dependsOn: new Set([`pg_class:${row.oid}`, `pg_class:${ownerTable.oid}`]),
    });
  }
  return entries;
}

function withOptions(options: string[] | null, toastOptions: string[] | null): string {
  const all = [...(options ?? []).map((o) => splitOption(o)), ...(toastOptions ?? []).map((o) => splitOption(o, 'toast.'))];
  if (all.length === 0) return '';
  return `\nWITH (${all.map(([key, value]) => `${key}=${quoteLiteral(value)}`).join(', ')})`;
}

function splitOption(option: string, prefix = ''): [string, string] {
  const at = option.indexOf('=');
  return [`${prefix}${option.slice(0, at)}`, option.slice(at + 1)];
}

export interface TableParts {
  relation: RelationRow;
  columns: ColumnRow[];
  inlineChecks: ConstraintRow[];
  /**
   * Create the inheritance child standalone, every column in its own order, then attach it with
   * ALTER TABLE ... INHERIT (see inheritsWouldReorder), instead of CREATE TABLE ... INHERITS.
   */
  inheritAfterCreate?: boolean;
}

/** The `<table>_<column>_not_null` name PostgreSQL 18 gives a NOT NULL constraint nobody named. */
const isDefaultNotNullName = (table: string, column: string, name: string) => name === `${table}_${column}_not_null`;

/**
 * A column's NOT NULL inside CREATE TABLE. Before 18 it is a flag; from 18 a constraint with a
 * name, NO INHERIT, and a validity: one that is inherited only comes with INHERITS, a NOT VALID
 * one is added after the data (notNullEntry).
 */
function inlineNotNull(table: string, column: ColumnRow, q: IdentifierQuoter): string {
  const constraint = column.notNullConstraint;
  if (constraint === null) return column.notNull ? ' NOT NULL' : '';
  if (!constraint.local || !constraint.validated) return '';
  const name = isDefaultNotNullName(table, column.name, constraint.name) ? '' : ` CONSTRAINT ${q.ident(constraint.name)}`;
  return `${name} NOT NULL${constraint.noInherit ? ' NO INHERIT' : ''}`;
}

/** Per-column ALTERs for what CREATE TABLE / CREATE MATERIALIZED VIEW cannot say (statistics, storage, compression, options). */
function columnAlters(alter: string, columns: ColumnRow[], q: IdentifierQuoter): string[] {
  const alters: string[] = [];
  for (const column of columns) {
    const target = `${alter} ALTER COLUMN ${q.ident(column.name)}`;
    if (column.statTarget !== null && column.statTarget >= 0) alters.push(`${target} SET STATISTICS ${column.statTarget};`);
    if (column.storage !== column.typeStorage) alters.push(`${target} SET STORAGE ${storageNames[column.storage]};`);
    if (column.compression !== '' && column.compression !== '\u0000') {
      alters.push(`${target} SET COMPRESSION ${column.compression === 'l' ? 'lz4' : 'pglz'};`);
    }
    if (column.options !== null && column.options.length > 0) {
      alters.push(`${target} SET (${column.options.map((o) => splitOption(o)).map(([k, v]) => `${k}=${v}`).join(', ')});`);
    }
  }
  return alters;
}

/** CREATE TABLE with columns, inline CHECKs and table options, plus the per-column ALTERs pg_dump puts in the same entry. */
export function tableEntry(parts: TableParts, q: IdentifierQuoter, options: DdlOptions): Entry {
  const { relation, columns, inlineChecks } = parts;
  const name = q.qualified(relation.schema, relation.name);
  const isPartition = relation.isPartition;
  const lines: string[] = [];
  // Inherited columns come from the parent; what the child changed on them is set after the CREATE.
  const inheritAfterCreate = parts.inheritAfterCreate ?? false;
  const isPrinted = (column: ColumnRow) => column.isLocal || isPartition || inheritAfterCreate;
  for (const column of columns.filter(isPrinted)) {
    let line = `    ${q.ident(column.name)} ${column.type}`;
    if (column.collation !== null) line += ` COLLATE ${column.collation}`;
    if (column.generated === 's') line += ` GENERATED ALWAYS AS (${column.defaultExpr}) STORED`;
    else if (column.generated === 'v') line += ` GENERATED ALWAYS AS (${column.defaultExpr}) VIRTUAL`;
    else if (column.defaultExpr !== null) line += ` DEFAULT ${column.defaultExpr}`;
    line += inlineNotNull(relation.name, column, q);
    lines.push(line);
  }
  for (const check of inlineChecks) lines.push(`    CONSTRAINT ${q.ident(check.name)} ${check.definition}`);
  const unlogged = relation.persistence === 'u' ? 'UNLOGGED ' : '';
  let sql = `CREATE ${unlogged}TABLE ${name} (\n${lines.join(',\n')}${lines.length > 0 ? '\n' : ''})`;
  const parents = isPartition ? [] : relation.parents ?? [];
  if (parents.length > 0 && !inheritAfterCreate) sql += `\nINHERITS (${parents.join(', ')})`;
  if (relation.partitionKey !== null) sql += `\nPARTITION BY ${relation.partitionKey}`;
  sql += `${withOptions(relation.options, relation.toastOptions)};\n`;
  if (inheritAfterCreate) for (const parent of parents) sql += `ALTER TABLE ONLY ${name} INHERIT ${parent};\n`;

  const alters: string[] = [];
  const notNullComments: string[] = [];
  for (const column of columns.filter((c) => !isPrinted(c))) {
    const target = `ALTER TABLE ONLY ${name} ALTER COLUMN ${q.ident(column.name)}`;
    // The child's own default on an inherited column (pg_dump writes it as a separate DEFAULT entry),
    // or none where INHERITS would give it the parent's.
    if (column.defaultExpr !== null && column.generated === '') alters.push(`${target} SET DEFAULT ${column.defaultExpr};`);
    else if (column.defaultExpr === null && column.inheritedDefault) alters.push(`${target} DROP DEFAULT;`);
    const constraint = column.notNullConstraint;
    if (constraint === null) {
      if (column.notNull && !column.inheritedNotNull) alters.push(`${target} SET NOT NULL;`);
    } else if (constraint.local && constraint.validated) {
      // 18: SET NOT NULL marks an inherited constraint local too; a child's own one keeps its name.
      if (constraint.inherited || isDefaultNotNullName(relation.name, column.name, constraint.name)) alters.push(`${target} SET NOT NULL;`);
      else {
        alters.push(`ALTER TABLE ONLY ${name} ADD CONSTRAINT ${q.ident(constraint.name)} NOT NULL ${q.ident(column.name)}${constraint.noInherit ? ' NO INHERIT' : ''};`);
      }
    }
  }
  for (const column of columns) {
    const constraint = column.notNullConstraint;
    if (constraint !== null && constraint.local && constraint.validated) {
      notNullComments.push(commentOn(`CONSTRAINT ${q.ident(constraint.name)} ON ${name}`, constraint.comment));
    }
  }
  alters.push(...columnAlters(`ALTER TABLE ONLY ${name}`, columns, q));
  if (relation.replident === 'n') alters.push(`ALTER TABLE ONLY ${name} REPLICA IDENTITY NOTHING;`);
  if (relation.replident === 'f') alters.push(`ALTER TABLE ONLY ${name} REPLICA IDENTITY FULL;`);
  if (relation.forceRowSecurity) alters.push(`ALTER TABLE ONLY ${name} FORCE ROW LEVEL SECURITY;`);
  if (alters.length > 0) sql += `${alters.join('\n')}\n`;

  sql += ownerTo('TABLE', name, relation.owner, q, options);
  sql += commentOn(`TABLE ${name}`, relation.comment);
  for (const column of columns) sql += commentOn(`COLUMN ${name}.${q.ident(column.name)}`, column.comment);
  for (const check of inlineChecks) sql += commentOn(`CONSTRAINT ${q.ident(check.name)} ON ${name}`, check.comment);
  sql += notNullComments.join('');
  sql += grants('TABLE', name, relation.owner, relation.acl, q, options);
  sql += columnGrants(name, relation.owner, columns, q, options);
  return {
    id: `pg_class:${relation.oid}`, section: 'pre-data', priority: Priority.relation, type: 'TABLE', schema: relation.schema,
    name: relation.name, owner: relation.owner, sql, drop: `DROP TABLE IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

const storageNames: Record<string, string> = { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' };

export function partitionAttachEntry(relation: RelationRow, parentOid: number, parentName: string, q: IdentifierQuoter): Entry {
  return {
    id: `attach:${relation.oid}`, section: 'pre-data', priority: Priority.tableAttach, type: 'TABLE ATTACH', schema: relation.schema,
    name: relation.name, owner: null,
    sql: `ALTER TABLE ONLY ${parentName} ATTACH PARTITION ${q.qualified(relation.schema, relation.name)} ${relation.partitionBound};\n`,
    drop: null,
    dependsOn: new Set([`pg_class:${relation.oid}`, `pg_class:${parentOid}`]),
  };
}

/** A view or materialized view (the latter created empty; REFRESH comes at the very end). */
export function viewEntries(relation: RelationRow, columns: ColumnRow[], q: IdentifierQuoter, options: DdlOptions): Entry[] {
  const name = q.qualified(relation.schema, relation.name);
  const definition = (relation.viewdef ?? '').replace(/;\s*$/, '');
  const viewOptions = (relation.options ?? []).filter((o) => !o.startsWith('check_option='));
  const checkOption = (relation.options ?? []).find((o) => o.startsWith('check_option='))?.split('=')[1];
  const isMaterialized = relation.relkind === 'm';
  const kind = isMaterialized ? 'MATERIALIZED VIEW' : 'VIEW';
  let sql = `CREATE ${kind} ${name}${withOptions(viewOptions, null).replace(/^\n/, ' ')} AS\n${definition}`;
  if (checkOption !== undefined) sql += `\n  WITH ${checkOption.toUpperCase()} CHECK OPTION`;
  sql += isMaterialized ? '\n  WITH NO DATA;\n' : ';\n';
  if (isMaterialized) {
    const alters = columnAlters(`ALTER MATERIALIZED VIEW ${name}`, columns, q);
    if (alters.length > 0) sql += `${alters.join('\n')}\n`;
  }
  sql += ownerTo(isMaterialized ? 'MATERIALIZED VIEW' : 'VIEW', name, relation.owner, q, options);
  sql += commentOn(`${kind} ${name}`, relation.comment);
  for (const column of columns) sql += commentOn(`COLUMN ${name}.${q.ident(column.name)}`, column.comment);
  sql += grants('TABLE', name, relation.owner, relation.acl, q, options);
  sql += columnGrants(name, relation.owner, columns, q, options);
  const entries: Entry[] = [{
    id: `pg_class:${relation.oid}`, section: 'pre-data', priority: Priority.relation, type: kind, schema: relation.schema,
    name: relation.name, owner: relation.owner, sql, drop: `DROP ${kind} IF EXISTS ${name};`, dependsOn: new Set(),
  }];
  // Defaults on view columns (for INSERTs through the view) are their own statements.
  for (const column of columns.filter((c) => c.defaultExpr !== null)) {
    entries.push({
      id: `view-default:${relation.oid}:${column.num}`, section: 'pre-data', priority: Priority.attributeDefault, type: 'DEFAULT',
      schema: relation.schema, name: `${relation.name} ${column.name}`, owner: null,
      sql: `ALTER TABLE ONLY ${name} ALTER COLUMN ${q.ident(column.name)} SET DEFAULT ${column.defaultExpr};\n`,
      drop: null, dependsOn: new Set([`pg_class:${relation.oid}`]),
    });
  }
  if (isMaterialized && relation.populated) {
    entries.push({
      id: `refresh:${relation.oid}`, section: 'final', priority: Priority.refreshMaterializedView, type: 'MATERIALIZED VIEW DATA',
      schema: relation.schema, name: relation.name, owner: relation.owner,
      sql: `REFRESH MATERIALIZED VIEW ${name};\n`, drop: null, dependsOn: new Set(),
    });
  }
  return entries;
}

/**
 * Where, in pg_get_constraintdef's text of a PRIMARY KEY / UNIQUE constraint, index storage
 * parameters go: before a top-level `[NOT] DEFERRABLE` / `INITIALLY`, else at the end (a column
 * named "DEFERRABLE" is inside quotes and parentheses, so it is skipped).
 */
function indexClauseAt(definition: string): number {
  let depth = 0;
  for (let at = 0; at < definition.length; at += 1) {
    const char = definition[at]!;
    if (char === '"' || char === "'") {
      const close = definition.indexOf(char, at + 1);
      // A doubled quote inside is two adjacent quoted runs: skipping each keeps the scan outside them.
      at = close === -1 ? definition.length : close;
    } else if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (depth === 0 && char === ' ' && /^ (NOT DEFERRABLE\b|DEFERRABLE\b|INITIALLY\b)/.test(definition.slice(at))) return at;
  }
  return definition.length;
}

/**
 * pg_get_constraintdef leaves out the backing index's storage parameters (Immich's
 * `PRIMARY KEY (id) WITH (fillfactor='100')`); pg_dump puts them before DEFERRABLE.
 */
function withIndexOptions(definition: string, indexOptions: string[] | null): string {
  if (indexOptions === null || indexOptions.length === 0) return definition;
  const options = withOptions(indexOptions, null).replace(/^\n/, ' ');
  const at = indexClauseAt(definition);
  return `${definition.slice(0, at)}${options}${definition.slice(at)}`;
}

/**
 * An index's tablespace, as pg_dump sets it: through default_tablespace around the statement that
 * builds the index (CREATE INDEX has TABLESPACE, ADD CONSTRAINT has USING INDEX TABLESPACE, and
 * this covers both), reset to the database's default afterwards.
 */
function inTablespace(sql: string, tablespace: string | null, q: IdentifierQuoter): string {
  return tablespace === null ? sql : `SET default_tablespace = ${q.ident(tablespace)};\n\n${sql}\nSET default_tablespace = '';\n`;
}

/** What an index carries besides its definition: CLUSTER ON, REPLICA IDENTITY, column statistics, comment. */
function indexProperties(index: IndexProperties & { comment: string | null }, schema: string, indexName: string, table: string, q: IdentifierQuoter): string {
  const name = q.qualified(schema, indexName);
  let sql = '';
  if (index.clustered) sql += `\nALTER TABLE ${table} CLUSTER ON ${q.ident(indexName)};\n`;
  if (index.replident) sql += `\nALTER TABLE ONLY ${table} REPLICA IDENTITY USING INDEX ${q.ident(indexName)};\n`;
  for (const column of index.statistics ?? []) sql += `\nALTER INDEX ${name} ALTER COLUMN ${column.num} SET STATISTICS ${column.target};\n`;
  sql += commentOn(`INDEX ${name}`, index.comment);
  return sql;
}

export function constraintEntry(row: ConstraintRow, q: IdentifierQuoter): Entry {
  const table = q.qualified(row.schema, row.table);
  // pg_get_constraintdef already prints an EXCLUDE constraint's storage parameters, but not a PRIMARY KEY's or UNIQUE's.
  const definition = row.type === 'x' ? row.definition : withIndexOptions(row.definition, row.index?.options ?? null);
  const isForeignKey = row.type === 'f';
  // NOT VALID checks must reach inheritance children, and FKs on partitioned tables must recurse: no ONLY there.
  const only = (isForeignKey && row.partitionedTable) || row.type === 'c' ? '' : 'ONLY ';
  let sql = inTablespace(`ALTER TABLE ${only}${table}\n    ADD CONSTRAINT ${q.ident(row.name)} ${definition};\n`, row.index?.tablespace ?? null, q);
  sql += commentOn(`CONSTRAINT ${q.ident(row.name)} ON ${table}`, row.comment);
  if (row.index !== null) sql += indexProperties(row.index, row.schema, row.index.name, table, q);
  return {
    id: `pg_constraint:${row.oid}`, section: 'post-data',
    priority: isForeignKey ? Priority.foreignKey : Priority.constraint,
    type: isForeignKey ? 'FK CONSTRAINT' : row.type === 'c' ? 'CHECK CONSTRAINT' : 'CONSTRAINT',
    schema: row.schema, name: `${row.table} ${row.name}`, sortName: row.table, owner: null,
    sql,
    drop: `ALTER TABLE IF EXISTS ${only}${table} DROP CONSTRAINT IF EXISTS ${q.ident(row.name)};`,
    dependsOn: new Set(),
  };
}

/** 18: a NOT VALID NOT NULL constraint, added after the data like a NOT VALID CHECK (no ONLY: it reaches the children). */
export function notNullEntry(relation: RelationRow, column: ColumnRow, q: IdentifierQuoter): Entry | null {
  const constraint = column.notNullConstraint;
  if (constraint === null || !constraint.local || constraint.validated) return null;
  const table = q.qualified(relation.schema, relation.name);
  return {
    id: `pg_constraint:${constraint.oid}`, section: 'post-data', priority: Priority.constraint, type: 'CHECK CONSTRAINT',
    schema: relation.schema, name: `${relation.name} ${constraint.name}`, sortName: relation.name, owner: null,
    sql: `ALTER TABLE ${table}\n    ADD CONSTRAINT ${q.ident(constraint.name)} NOT NULL ${q.ident(column.name)}${constraint.noInherit ? ' NO INHERIT' : ''} NOT VALID;\n${commentOn(
      `CONSTRAINT ${q.ident(constraint.name)} ON ${table}`,
      constraint.comment,
    )}`,
    drop: `ALTER TABLE IF EXISTS ${table} DROP CONSTRAINT IF EXISTS ${q.ident(constraint.name)};`,
    dependsOn: new Set(),
  };
}

export function indexEntry(row: IndexRow, q: IdentifierQuoter): Entry {
  const name = q.qualified(row.schema, row.name);
  const table = q.qualified(row.schema, row.table);
  let sql = inTablespace(`${row.definition};\n`, row.tablespace, q);
  sql += indexProperties(row, row.schema, row.name, table, q);
  return {
    id: `pg_class:${row.oid}`, section: 'post-data', priority: Priority.index, type: 'INDEX', schema: row.schema, name: row.name,
    sortName: row.table, owner: null, sql, drop: `DROP INDEX IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

export function indexAttachEntry(row: IndexRow, parentName: string, q: IdentifierQuoter): Entry {
  return {
    id: `index-attach:${row.oid}`, section: 'post-data', priority: Priority.indexAttach, type: 'INDEX ATTACH', schema: row.schema,
    name: row.name, sortName: row.table, owner: null,
    sql: `ALTER INDEX ${parentName} ATTACH PARTITION ${q.qualified(row.schema, row.name)};\n`, drop: null, dependsOn: new Set(),
  };
}

const enableStates: Record<string, string> = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' };

export function triggerEntry(row: TriggerRow, q: IdentifierQuoter): Entry {
  const table = q.qualified(row.schema, row.table);
  let sql = `${row.definition};\n`;
  const state = enableStates[row.enabled];
  if (state !== undefined) sql += `\nALTER TABLE ${table} ${state} TRIGGER ${q.ident(row.name)};\n`;
  sql += commentOn(`TRIGGER ${q.ident(row.name)} ON ${table}`, row.comment);
  return {
    id: `pg_trigger:${row.oid}`, section: 'post-data', priority: Priority.trigger, type: 'TRIGGER', schema: row.schema,
    name: `${row.table} ${row.name}`, sortName: row.table, owner: null, sql,
    drop: `DROP TRIGGER IF EXISTS ${q.ident(row.name)} ON ${table};`, dependsOn: new Set(),
  };
}

export function ruleEntry(row: RuleRow, q: IdentifierQuoter): Entry {
  const table = q.qualified(row.schema, row.table);
  let sql = `${row.definition.replace(/;?\s*$/, ';')}\n`;
  const state = enableStates[row.enabled];
  if (state !== undefined) sql += `\nALTER TABLE ${table} ${state} RULE ${q.ident(row.name)};\n`;
  sql += commentOn(`RULE ${q.ident(row.name)} ON ${table}`, row.comment);
  return {
    id: `pg_rewrite:${row.oid}`, section: 'post-data', priority: Priority.rule, type: 'RULE', schema: row.schema,
    name: `${row.table} ${row.name}`, sortName: row.table, owner: null, sql,
    drop: `DROP RULE IF EXISTS ${q.ident(row.name)} ON ${table};`, dependsOn: new Set(),
  };
}

const policyCommands: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

export function policyEntry(row: PolicyRow, q: IdentifierQuoter): Entry {
  const table = q.qualified(row.schema, row.table);
  let sql = `CREATE POLICY ${q.ident(row.name)} ON ${table}`;
  if (!row.permissive) sql += ' AS RESTRICTIVE';
  const command = policyCommands[row.command];
  if (command !== undefined) sql += ` FOR ${command}`;
  if (row.roles !== null) sql += ` TO ${row.roles.join(', ')}`;
  if (row.qual !== null) sql += ` USING (${row.qual})`;
  if (row.withCheck !== null) sql += ` WITH CHECK (${row.withCheck})`;
  sql += `;\n${commentOn(`POLICY ${q.ident(row.name)} ON ${table}`, row.comment)}`;
  return {
    id: `pg_policy:${row.oid}`, section: 'post-data', priority: Priority.policy, type: 'POLICY', schema: row.schema,
    name: `${row.table} ${row.name}`, sortName: row.table, owner: null, sql,
    drop: `DROP POLICY IF EXISTS ${q.ident(row.name)} ON ${table};`, dependsOn: new Set(),
  };
}

export function rowSecurityEntry(relation: RelationRow, q: IdentifierQuoter): Entry {
  return {
    id: `row-security:${relation.oid}`, section: 'post-data', priority: Priority.rowSecurity, type: 'ROW SECURITY',
    schema: relation.schema, name: relation.name, sortName: relation.name, owner: null,
    sql: `ALTER TABLE ${q.qualified(relation.schema, relation.name)} ENABLE ROW LEVEL SECURITY;\n`, drop: null, dependsOn: new Set(),
  };
}

/**
 * `ALTER DATABASE ... SET` settings. Not pg_dump behaviour: pg_dump without --create loses them
 * (Immich's vchordrq.probes, the legacy search_path with `vectors`). The database is named by
 * current_database() so the dump restores into a database of any name; each stored `name=value`
 * string is applied with set_config + FROM CURRENT, which keeps the value exactly as stored, and the
 * session's own value is put back afterwards.
 */
export function databaseSettingsEntry(settings: string[]): Entry | null {
  if (settings.length === 0) return null;
  const statements = settings.map((setting) => {
    const at = setting.indexOf('=');
    const name = setting.slice(0, at);
    const value = setting.slice(at + 1);
    return `    previous := pg_catalog.current_setting(${quoteLiteral(name)}, true);\n` +
      `    PERFORM pg_catalog.set_config(${quoteLiteral(name)}, ${quoteLiteral(value)}, true);\n` +
      `    EXECUTE pg_catalog.format('ALTER DATABASE %I SET %s FROM CURRENT', pg_catalog.current_database(), ${quoteLiteral(name)});\n` +
      `    PERFORM pg_catalog.set_config(${quoteLiteral(name)}, COALESCE(previous, ''), true);`;
  });
  return {
    id: 'database-settings', section: 'final', priority: Priority.databaseSettings, type: 'DATABASE PROPERTIES', schema: null,
    name: 'database settings (ALTER DATABASE ... SET)', owner: null,
    sql: `DO $immich_backup$\nDECLARE\n    previous text;\nBEGIN\n${statements.join('\n')}\nEND\n$immich_backup$;\n`,
    drop: null, dependsOn: new Set(),
  };
}
