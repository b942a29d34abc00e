import type { IndexProperties, IndexRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';
import { commentOn } from './clauses.ts';

// CREATE INDEX, ALTER INDEX ... ATTACH PARTITION, and what an index carries besides its definition
// (tablespace, CLUSTER ON, REPLICA IDENTITY, statistics, comment), shared with constraints' indexes.

/**
 * An index's tablespace, as pg_dump sets it: through default_tablespace around the statement that
 * builds the index (CREATE INDEX has TABLESPACE, ADD CONSTRAINT has USING INDEX TABLESPACE, and
 * this covers both), reset to the database's default afterwards. A table's or materialized view's
 * CREATE is placed the same way.
 */
export function inTablespace(sql: string, tablespace: string | null, q: IdentifierQuoter): string {
  return tablespace === null ? sql : `SET default_tablespace = ${q.ident(tablespace)};\n\n${sql}\nSET default_tablespace = '';\n`;
}

/** What an index carries besides its definition: CLUSTER ON, REPLICA IDENTITY, column statistics, comment. */
export function indexProperties(index: IndexProperties & { comment: string | null }, schema: string, indexName: string, table: string, q: IdentifierQuoter): string {
  const name = q.qualified(schema, indexName);
  let sql = '';
  if (index.clustered) sql += `\nALTER TABLE ${table} CLUSTER ON ${q.ident(indexName)};\n`;
  if (index.replident) sql += `\nALTER TABLE ONLY ${table} REPLICA IDENTITY USING INDEX ${q.ident(indexName)};\n`;
  for (const column of index.statistics ?? []) sql += `\nALTER INDEX ${name} ALTER COLUMN ${column.num} SET STATISTICS ${column.target};\n`;
  sql += commentOn(`INDEX ${name}`, index.comment);
  return sql;
}

export function indexEntry(row: IndexRow, q: IdentifierQuoter): Entry {
  const name = q.qualified(row.schema, row.name);
  const table = q.qualified(row.schema, row.table);
  let sql = inTablespace(`${row.definition};\n`, row.tablespace, q);
  sql += indexProperties(row, row.schema, row.name, table, q);
  return {
    id: `pg_class:${row.oid}`, section: 'post-data', priority: Priority.index, type: 'INDEX', schema: row.schema, name: row.name,
    sortName: row.table, owner: null, sql,
    // A partition's index attached to a partitioned one cannot be dropped on its own; dropping the
    // parent's index, earlier in --clean, drops it (pg_dump leaves it out of --clean too).
    drop: row.parentIndex === null ? `DROP INDEX IF EXISTS ${name};` : null, dependsOn: new Set(),
  };
}

/**
 * `ALTER INDEX parent ATTACH PARTITION child`: a partition's index attached to the partitioned
 * table's; for a partition's PRIMARY KEY / UNIQUE / EXCLUDE, `constraint` is that constraint's OID
 * (the entry goes with the constraint: its index is no object of its own).
 */
export function indexAttachEntry(row: Pick<IndexRow, 'oid' | 'schema' | 'name' | 'table'>, parentName: string, q: IdentifierQuoter, constraint?: number): Entry {
  return {
    id: constraint === undefined ? `index-attach:${row.oid}` : `key-attach:${constraint}`, section: 'post-data', priority: Priority.indexAttach, type: 'INDEX ATTACH', schema: row.schema,
    name: row.name, sortName: row.table, owner: null,
    sql: `ALTER INDEX ${parentName} ATTACH PARTITION ${q.qualified(row.schema, row.name)};\n`, drop: null, dependsOn: new Set(),
  };
}
