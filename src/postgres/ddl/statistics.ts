import type { StatisticsRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// Extended statistics (CREATE STATISTICS): post-data, like pg_dump, so they are built on the loaded table.

export function statisticsEntry(row: StatisticsRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.qualified(row.schema, row.name);
  let sql = `${row.definition};\n`;
  // pg_dump writes the target only when it was set (not the default).
  if (row.statTarget !== null) sql += `ALTER STATISTICS ${name} SET STATISTICS ${row.statTarget};\n`;
  sql += ownerTo('STATISTICS', name, row.owner, q, options);
  sql += commentOn(`STATISTICS ${name}`, row.comment);
  return {
    id: `pg_statistic_ext:${row.oid}`, section: 'post-data', priority: Priority.statistics, type: 'STATISTICS', schema: row.schema,
    name: row.name, owner: row.owner, sql, drop: `DROP STATISTICS IF EXISTS ${name};`, dependsOn: new Set(),
  };
}
