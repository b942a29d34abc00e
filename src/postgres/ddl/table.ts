import type { ColumnRow, ConstraintRow, RelationRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, optionsClause, ownerTo, setDefault, splitOption, underAccessMethod, withOptions } from './clauses.ts';
import { inTablespace } from './index.ts';
import { columnGrants, grants } from './privileges.ts';

// CREATE TABLE: the whole statement with its columns, inline CHECKs, INHERITS / PARTITION BY, options
// and per-column ALTERs, owner, comments and grants; also a partition's ATTACH and a DEFAULT split
// out of CREATE TABLE. A foreign table is written the same way as CREATE FOREIGN TABLE ... SERVER
// ... OPTIONS, with its columns' options; its rows stay where they are (no data, as pg_dump without
// --include-foreign-data).

export interface TableParts {
  relation: RelationRow;
  columns: ColumnRow[];
  inlineChecks: ConstraintRow[];
  /**
   * Create the inheritance child standalone, every column in its own order, then attach it with
   * ALTER TABLE ... INHERIT (see inheritsWouldReorder), instead of CREATE TABLE ... INHERITS.
   */
  inheritAfterCreate?: boolean;
  /** CHECKs the table only inherits (they come with INHERITS), for their comments. */
  inheritedChecks?: ConstraintRow[];
}

/** The `<table>_<column>_not_null` name PostgreSQL 18 gives a NOT NULL constraint nobody named. */
const isDefaultNotNullName = (table: string, column: string, name: string) => name === `${table}_${column}_not_null`;

/**
 * A column's NOT NULL inside CREATE TABLE. Before 18 it is a flag; from 18 a constraint with a
 * name, NO INHERIT, and a validity: one that is inherited only comes with INHERITS (a partition,
 * created standalone, writes its inherited ones under the parent's name, and ATTACH PARTITION
 * merges them back into inherited ones), a NOT VALID one is added after the data (notNullEntry).
 */
function inlineNotNull(table: string, isPartition: boolean, column: ColumnRow, q: IdentifierQuoter): string {
  const constraint = column.notNullConstraint;
  if (constraint === null) return column.notNull ? ' NOT NULL' : '';
  if ((!constraint.local && !isPartition) || !constraint.validated) return '';
  const name = isDefaultNotNullName(table, column.name, constraint.name) ? '' : ` CONSTRAINT ${q.ident(constraint.name)}`;
  return `${name} NOT NULL${constraint.noInherit ? ' NO INHERIT' : ''}`;
}

/** 18: a column's own valid NOT NULL named otherwise than the one CREATE TABLE ... INHERITS would make. */
const namedOtherThanInherited = (column: ColumnRow) => {
  const constraint = column.notNullConstraint;
  return constraint !== null && constraint.local && constraint.validated && constraint.inheritedName !== null && constraint.inheritedName !== constraint.name;
};

/** Per-column ALTERs for what CREATE TABLE / CREATE MATERIALIZED VIEW cannot say (statistics, storage, compression, options). */
export function columnAlters(alter: string, columns: ColumnRow[], q: IdentifierQuoter): string[] {
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
  const isForeign = relation.relkind === 'f';
  // ALTER TABLE would do for most of a foreign table's statements, but DROP and COMMENT ON need its own kind.
  const kind = isForeign ? 'FOREIGN TABLE' : 'TABLE';
  const isPartition = relation.isPartition;
  const lines: string[] = [];
  // Inherited columns come from the parent; what the child changed on them is set after the CREATE.
  const inheritAfterCreate = parts.inheritAfterCreate ?? false;
  const isPrinted = (column: ColumnRow) => column.isLocal || isPartition || inheritAfterCreate;
  // A typed table's columns come from its type: only what a column adds to it is written (and a
  // column adding nothing is left out), as pg_dump writes them.
  const isTyped = relation.ofType !== null;
  // A generated column an INHERITS child shares with its parents takes their expression: up to 15
  // the child's own is refused ("child column specifies generation expression"), so it is written
  // plain, as pg_dump does. From 16 a child may have an expression of its own (up to 15 no child
  // can differ from its parents), which is written, as pg_dump 16+ does.
  const inheritsGeneration = (column: ColumnRow) =>
    column.generationFromParent && !isPartition && !inheritAfterCreate && (relation.parents ?? []).length > 0;
  for (const column of columns.filter(isPrinted)) {
    const start = `    ${q.ident(column.name)}`;
    let line = isTyped ? start : `${start} ${column.type}`;
    if (column.collation !== null) line += ` COLLATE ${column.collation}`;
    if (inheritsGeneration(column)) {
      // Nothing: the generation expression comes with INHERITS.
    } else if (column.generated === 's') line += ` GENERATED ALWAYS AS (${column.defaultExpr}) STORED`;
    else if (column.generated === 'v') line += ` GENERATED ALWAYS AS (${column.defaultExpr}) VIRTUAL`;
    else if (column.defaultExpr !== null) line += ` DEFAULT ${column.defaultExpr}`;
    line += inlineNotNull(relation.name, isPartition, column, q);
    if (line !== start) lines.push(line);
  }
  // 18: a child's own NOT NULL on an inherited column, under another name than INHERITS gives it
  // (the parent's): only CREATE TABLE can name it, as a table constraint, as pg_dump writes it (an
  // ADD CONSTRAINT afterwards fails, "a not-null constraint named ... already exists").
  for (const column of columns.filter((c) => !isPrinted(c) && namedOtherThanInherited(c))) {
    const constraint = column.notNullConstraint!;
    const named = isDefaultNotNullName(relation.name, column.name, constraint.name) ? '' : `CONSTRAINT ${q.ident(constraint.name)} `;
    lines.push(`    ${named}NOT NULL ${q.ident(column.name)}`);
  }
  for (const check of inlineChecks) lines.push(`    CONSTRAINT ${q.ident(check.name)} ${check.definition}`);
  const unlogged = relation.persistence === 'u' ? 'UNLOGGED ' : '';
  const body = `(\n${lines.join(',\n')}${lines.length > 0 ? '\n' : ''})`;
  let sql = isTyped
    ? `CREATE ${unlogged}${kind} ${name} OF ${relation.ofType}${lines.length > 0 ? ` ${body}` : ''}`
    : `CREATE ${unlogged}${kind} ${name} ${body}`;
  const parents = isPartition ? [] : relation.parents ?? [];
  if (parents.length > 0 && !inheritAfterCreate) sql += `\nINHERITS (${parents.join(', ')})`;
  if (relation.partitionKey !== null) sql += `\nPARTITION BY ${relation.partitionKey}`;
  if (isForeign) sql += `\nSERVER ${q.ident(relation.foreignServer ?? '')}${optionsClause(relation.foreignOptions, q, '\n')}`;
  sql += `${withOptions(relation.options, relation.toastOptions)};\n`;
  // A partitioned table stores nothing: default_table_access_method does not reach it, so its access
  // method (which its partitions created later take) is set after the CREATE, as pg_dump does (17+).
  if (relation.relkind === 'p') {
    if (relation.accessMethod !== null) sql += `ALTER TABLE ${name} SET ACCESS METHOD ${q.ident(relation.accessMethod)};\n`;
    sql = inTablespace(sql, relation.tablespace, q);
  } else sql = inTablespace(underAccessMethod(sql, relation.accessMethod, q), relation.tablespace, q);
  if (inheritAfterCreate) for (const parent of parents) sql += `ALTER ${kind} ONLY ${name} INHERIT ${parent};\n`;

  const alters: string[] = [];
  const notNullComments: string[] = [];
  for (const column of columns.filter((c) => !isPrinted(c))) {
    const target = `ALTER ${kind} ONLY ${name} ALTER COLUMN ${q.ident(column.name)}`;
    // The child's own default on an inherited column (pg_dump writes it as a separate DEFAULT entry),
    // or none where INHERITS would give it the parent's.
    if (column.defaultExpr !== null && column.generated === '') alters.push(`${target} SET DEFAULT ${column.defaultExpr};`);
    else if (column.defaultExpr === null && column.inheritedDefault) alters.push(`${target} DROP DEFAULT;`);
    const constraint = column.notNullConstraint;
    if (constraint === null) {
      if (column.notNull && !column.inheritedNotNull) alters.push(`${target} SET NOT NULL;`);
    } else if (constraint.local && constraint.validated && !namedOtherThanInherited(column)) {
      // 18: SET NOT NULL marks the constraint INHERITS made local too; a child's own one keeps its
      // name (one whose parent's is NOT VALID comes only after the data: the child's is made here).
      if (constraint.inheritedName !== null || isDefaultNotNullName(relation.name, column.name, constraint.name)) alters.push(`${target} SET NOT NULL;`);
      else {
        alters.push(`ALTER ${kind} ONLY ${name} ADD CONSTRAINT ${q.ident(constraint.name)} NOT NULL ${q.ident(column.name)}${constraint.noInherit ? ' NO INHERIT' : ''};`);
      }
    }
  }
  for (const column of columns) {
    const constraint = column.notNullConstraint;
    // Every valid one is there after the CREATE: written (a partition's inherited ones too, inline,
    // see inlineNotNull) or, an inheritance child's inherited one, made by INHERITS.
    if (constraint !== null && constraint.validated) {
      notNullComments.push(commentOn(`CONSTRAINT ${q.ident(constraint.name)} ON ${name}`, constraint.comment));
    }
  }
  alters.push(...columnAlters(`ALTER ${kind} ONLY ${name}`, columns, q));
  for (const column of columns) {
    const columnOptions = optionsClause(column.foreignOptions, q);
    if (columnOptions !== '') alters.push(`ALTER ${kind} ${name} ALTER COLUMN ${q.ident(column.name)}${columnOptions};`);
  }
  // A foreign table has no replica identity (its relreplident says 'n' all the same).
  if (relation.replident === 'n' && !isForeign) alters.push(`ALTER TABLE ONLY ${name} REPLICA IDENTITY NOTHING;`);
  if (relation.replident === 'f' && !isForeign) alters.push(`ALTER TABLE ONLY ${name} REPLICA IDENTITY FULL;`);
  if (relation.forceRowSecurity) alters.push(`ALTER TABLE ONLY ${name} FORCE ROW LEVEL SECURITY;`);
  if (alters.length > 0) sql += `${alters.join('\n')}\n`;

  sql += ownerTo(kind, name, relation.owner, q, options);
  sql += commentOn(`${kind} ${name}`, relation.comment);
  for (const column of columns) sql += commentOn(`COLUMN ${name}.${q.ident(column.name)}`, column.comment);
  for (const check of [...inlineChecks, ...(parts.inheritedChecks ?? [])]) sql += commentOn(`CONSTRAINT ${q.ident(check.name)} ON ${name}`, check.comment);
  sql += notNullComments.join('');
  sql += grants('TABLE', name, relation.owner, relation.acl, q, options, relation.ownerHasAll ?? false);
  sql += columnGrants(name, relation.owner, columns, q, options);
  return {
    id: `pg_class:${relation.oid}`, section: 'pre-data', priority: Priority.relation, type: kind, schema: relation.schema,
    name: relation.name, owner: relation.owner, sql, drop: `DROP ${kind} IF EXISTS ${name};`,
    // After its type, whatever the type needs (the edge to a composite type leads to its pg_class row, which is no entry).
    dependsOn: new Set(relation.ofTypeOid === null ? [] : [`pg_type:${relation.ofTypeOid}`]),
  };
}

const storageNames: Record<string, string> = { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' };

/**
 * A column DEFAULT split out of CREATE TABLE into post-data, after `after` (what it calls is
 * created after the data; readCatalog decides which). COPY supplies every column, so the data
 * never needs it.
 */
export function splitDefaultEntry(relation: RelationRow, column: ColumnRow, after: Iterable<string>, q: IdentifierQuoter): Entry {
  const table = q.qualified(relation.schema, relation.name);
  return {
    id: `column-default:${relation.oid}:${column.num}`, section: 'post-data', priority: Priority.attributeDefault, type: 'DEFAULT',
    schema: relation.schema, name: `${relation.name} ${column.name}`, sortName: relation.name, owner: null,
    sql: setDefault(table, column, q),
    // Before --clean drops what the default calls (which comes later in the script, so is dropped earlier).
    drop: `ALTER TABLE IF EXISTS ONLY ${table} ALTER COLUMN ${q.ident(column.name)} DROP DEFAULT;`,
    dependsOn: new Set(after),
  };
}

/**
 * ALTER TABLE ... ATTACH PARTITION. On 18 ATTACH makes a partition's NOT NULL constraint an
 * inherited one only, while the parent's later SET NOT NULL leaves one the partition had of its own
 * local too: SET NOT NULL on the partition after the ATTACH marks it local again (pg_dump does not,
 * and its restore differs in conislocal, which verify compares).
 */
export function partitionAttachEntry(relation: RelationRow, parentOid: number, parentName: string, q: IdentifierQuoter, columns: ColumnRow[] = []): Entry {
  const partition = q.qualified(relation.schema, relation.name);
  const localAgain = columns
    .filter(({ notNullConstraint: c }) => c !== null && c.local && c.inherited && c.validated)
    .map((column) => `ALTER TABLE ONLY ${partition} ALTER COLUMN ${q.ident(column.name)} SET NOT NULL;\n`);
  return {
    id: `attach:${relation.oid}`, section: 'pre-data', priority: Priority.tableAttach, type: 'TABLE ATTACH', schema: relation.schema,
    name: relation.name, owner: null,
    sql: `ALTER TABLE ONLY ${parentName} ATTACH PARTITION ${partition} ${relation.partitionBound};\n${localAgain.join('')}`,
    drop: null,
    dependsOn: new Set([`pg_class:${relation.oid}`, `pg_class:${parentOid}`]),
  };
}
