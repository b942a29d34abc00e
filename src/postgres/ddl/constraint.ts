import { isMadeByParentKey, type ColumnRow, type ConstraintRow, type RelationRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';
import { quoteLiteral } from '../quote.ts';
import { commentOn, splitOption, withOptions } from './clauses.ts';
import { inTablespace, indexProperties } from './index.ts';

// Table constraints as post-data ALTER TABLE ... ADD CONSTRAINT (PK, UNIQUE, EXCLUDE, FK, CHECKs not
// written inside CREATE TABLE), 18's NOT VALID NOT NULL, and the re-validation of inherited copies.

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
 * The name the server gave a partition's EXCLUDE or key WITHOUT OVERLAPS when its parent's made it (see
 * isMadeByParentKey) is set back to the source's, found as the constraint on the partition whose
 * parent is the parent table's key: the server picks it from the table's name, as it did in the
 * source, but a renamed table or a name in use when either was made changes its pick.
 */
function renameMadeKey(row: ConstraintRow, q: IdentifierQuoter): string {
  const parent = row.parentKey!;
  const table = quoteLiteral(q.qualified(row.schema, row.table));
  const name = quoteLiteral(row.name);
  // The source's name may be held for now by the index of another partition's key made the same
  // way, whose own rename comes later (partitions renamed, as when an old one is renamed and a new
  // one takes its name): that index (and its key) moves aside to a name of its own first, and its
  // own block, which finds it by its parent key, gives it its source name afterwards.
  return `DO $immich_backup$\nDECLARE\n    made name;\n    holder pg_catalog.oid;\nBEGIN\n` +
    `    SELECT c.conname INTO STRICT made FROM pg_catalog.pg_constraint c\n` +
    `     WHERE c.conrelid = ${table}::pg_catalog.regclass\n` +
    `       AND c.conparentid = (SELECT p.oid FROM pg_catalog.pg_constraint p\n` +
    `                             WHERE p.conrelid = ${quoteLiteral(q.qualified(parent.schema, parent.table))}::pg_catalog.regclass AND p.conname = ${quoteLiteral(parent.name)});\n` +
    `    IF made <> ${name} THEN\n` +
    `        SELECT i.oid INTO holder FROM pg_catalog.pg_class i JOIN pg_catalog.pg_constraint k ON k.conindid = i.oid\n` +
    `         WHERE i.relname = ${name} AND k.conparentid <> 0 AND k.conexclop IS NOT NULL\n` +
    `           AND i.relnamespace = (SELECT t.relnamespace FROM pg_catalog.pg_class t WHERE t.oid = ${table}::pg_catalog.regclass);\n` +
    `        IF holder IS NOT NULL THEN\n` +
    `            EXECUTE pg_catalog.format('ALTER INDEX %s RENAME TO %I', holder::pg_catalog.regclass, 'immich_backup_moved_' || holder);\n` +
    `        END IF;\n` +
    `        EXECUTE pg_catalog.format('ALTER TABLE ONLY %s RENAME CONSTRAINT %I TO %I', ${table}, made, ${name});\n` +
    `    END IF;\nEND\n$immich_backup$;\n`;
}

/**
 * `madeBelow`: for a partitioned table's EXCLUDE or key WITHOUT OVERLAPS, the keys of its partitions
 * (all levels, each after its parent's) that its ALTER TABLE makes (isMadeByParentKey). Their source
 * names are given back in the same entry, right after it: until then they hold the names the server
 * picked, which another statement of the script may give an object of its own (a key or index of
 * another table named so in the source) and fail on. Their own entries keep the rest (options,
 * comment, CLUSTER ON).
 */
export function constraintEntry(row: ConstraintRow, q: IdentifierQuoter, madeBelow: readonly ConstraintRow[] = []): Entry {
  const table = q.qualified(row.schema, row.table);
  // pg_get_constraintdef already prints an EXCLUDE constraint's storage parameters, but not a PRIMARY KEY's or UNIQUE's.
  const definition = row.type === 'x' ? row.definition : withIndexOptions(row.definition, row.index?.options ?? null);
  const isForeignKey = row.type === 'f';
  // NOT VALID checks must reach inheritance children, and FKs on partitioned tables must recurse: no ONLY there;
  // nor on a partitioned table's EXCLUDE or key WITHOUT OVERLAPS, which must make its partitions' (isMadeByParentKey).
  const only = (isForeignKey && row.partitionedTable) || row.type === 'c' || (row.exclusionIndex && row.partitionedTable) ? '' : 'ONLY ';
  const madeByParent = isMadeByParentKey(row);
  let sql = madeByParent
    ? ''
    : inTablespace(`ALTER TABLE ${only}${table}\n    ADD CONSTRAINT ${q.ident(row.name)} ${definition};\n`, row.index?.tablespace ?? null, q);
  for (const made of madeBelow) sql += `\n${renameMadeKey(made, q)}`;
  // A key its parent's made gets the parent's storage parameters: its own (ALTER INDEX ... SET on the
  // partition's index) are set back (no rebuild, only the catalog changes). Not on a partitioned
  // table's (a middle level), whose index takes no ALTER INDEX ... SET: it only has the parent's.
  const madeOptions = madeByParent && !row.partitionedTable ? (row.index?.options ?? []) : [];
  if (madeOptions.length > 0) {
    const options = madeOptions.map((option) => splitOption(option)).map(([key, value]) => `${key}=${quoteLiteral(value)}`);
    sql += `\nALTER INDEX ${q.qualified(row.schema, row.index!.name)} SET (${options.join(', ')});\n`;
  }
  sql += commentOn(`CONSTRAINT ${q.ident(row.name)} ON ${table}`, row.comment);
  if (row.index !== null) sql += indexProperties(row.index, row.schema, row.index.name, table, q);
  return {
    id: `pg_constraint:${row.oid}`, section: 'post-data',
    priority: isForeignKey ? Priority.foreignKey : Priority.constraint,
    type: isForeignKey ? 'FK CONSTRAINT' : row.type === 'c' ? 'CHECK CONSTRAINT' : 'CONSTRAINT',
    schema: row.schema, name: `${row.table} ${row.name}`, sortName: row.table, owner: null,
    sql,
    // A partition's key attached to its parent's cannot be dropped on its own ("cannot drop inherited
    // constraint"): dropping the parent's key, earlier in --clean, drops it.
    drop: row.parentIndex === null ? `ALTER TABLE IF EXISTS ${only}${table} DROP CONSTRAINT IF EXISTS ${q.ident(row.name)};` : null,
    dependsOn: new Set(madeByParent ? [`pg_constraint:${row.parentKey!.oid}`] : []),
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

/**
 * A parent's NOT VALID constraint is restored after the data with an ALTER that reaches the
 * children, where it arrives NOT VALID too; a child's copy that was valid in the source (the
 * child was created or validated later) is validated again after it; a copy's comment follows.
 */
export function validateInheritedEntry(
  relation: RelationRow,
  constraint: { oid: number; name: string; validated: boolean; comment: string | null },
  parentConstraint: number,
  q: IdentifierQuoter,
): Entry {
  const table = q.qualified(relation.schema, relation.name);
  const validate = constraint.validated ? `ALTER TABLE ${table} VALIDATE CONSTRAINT ${q.ident(constraint.name)};\n` : '';
  return {
    id: `validate:${relation.oid}:${constraint.oid}`, section: 'post-data', priority: Priority.constraint, type: 'CHECK CONSTRAINT',
    schema: relation.schema, name: `${relation.name} ${constraint.name}`, sortName: relation.name, owner: null,
    sql: `${validate}${commentOn(`CONSTRAINT ${q.ident(constraint.name)} ON ${table}`, constraint.comment)}`, drop: null,
    dependsOn: new Set([`pg_constraint:${parentConstraint}`]),
  };
}
