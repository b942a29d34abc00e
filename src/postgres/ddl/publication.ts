import type { PublicationRow, PublicationSchemaRow, PublicationTableRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// Logical replication publications, as pg_dump writes them: CREATE PUBLICATION, then each table
// (ALTER PUBLICATION ... ADD TABLE ONLY, with its column list and row filter) and each schema
// (ADD TABLES IN SCHEMA) as entries of their own, so a table left out of the dump takes its
// membership with it. All post-data: adding a table needs the table, and its row filter may need more.

export function publicationEntry(row: PublicationRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.ident(row.name);
  const publish = [row.insert && 'insert', row.update && 'update', row.delete && 'delete', row.truncate && 'truncate'].filter(Boolean).join(', ');
  let sql = `CREATE PUBLICATION ${name}${row.allTables ? ' FOR ALL TABLES' : ''} WITH (publish = '${publish}'`;
  if (row.viaRoot) sql += ', publish_via_partition_root = true';
  if (row.generatedColumns === 's') sql += ', publish_generated_columns = stored';
  sql += `);\n${ownerTo('PUBLICATION', name, row.owner, q, options)}${commentOn(`PUBLICATION ${name}`, row.comment)}`;
  return {
    id: `pg_publication:${row.oid}`, section: 'post-data', priority: Priority.publication, type: 'PUBLICATION', schema: null,
    name: row.name, owner: row.owner, sql, drop: `DROP PUBLICATION IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

export function publicationTableEntry(row: PublicationTableRow, q: IdentifierQuoter): Entry {
  let sql = `ALTER PUBLICATION ${q.ident(row.publication)} ADD TABLE ONLY ${q.qualified(row.schema, row.table)}`;
  if (row.columns !== null) sql += ` (${row.columns.map((column) => q.ident(column)).join(', ')})`;
  // pg_get_expr leaves out the parentheses of a bare constant (WHERE true): always add them.
  if (row.rowFilter !== null) sql += ` WHERE (${row.rowFilter})`;
  return {
    id: `pg_publication_rel:${row.oid}`, section: 'post-data', priority: Priority.publicationTable, type: 'PUBLICATION TABLE',
    // pg_dump orders them by table, then publication.
    schema: row.schema, name: `${row.publication} ${row.table}`, sortName: row.table, owner: null, sql: `${sql};\n`, drop: null,
    dependsOn: new Set(),
  };
}

export function publicationSchemaEntry(row: PublicationSchemaRow, q: IdentifierQuoter): Entry {
  return {
    id: `pg_publication_namespace:${row.oid}`, section: 'post-data', priority: Priority.publicationSchema, type: 'PUBLICATION TABLES IN SCHEMA',
    schema: row.schema, name: row.publication, owner: null,
    sql: `ALTER PUBLICATION ${q.ident(row.publication)} ADD TABLES IN SCHEMA ${q.ident(row.schema)};\n`, drop: null, dependsOn: new Set(),
  };
}
