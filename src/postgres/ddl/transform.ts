import type { TransformRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';
import { commentOn } from './clauses.ts';

// CREATE TRANSFORM, as pg_dump writes it (a transform has no owner). Functions that take or return
// the type in that language depend on it (PostgreSQL records that at CREATE FUNCTION), so the sort
// puts it before them.

export function transformEntry(row: TransformRow, q: IdentifierQuoter): Entry {
  const target = `FOR ${row.type} LANGUAGE ${q.ident(row.language)}`;
  const functions = [
    ...(row.fromSql === null ? [] : [`FROM SQL WITH FUNCTION ${row.fromSql}`]),
    ...(row.toSql === null ? [] : [`TO SQL WITH FUNCTION ${row.toSql}`]),
  ];
  if (functions.length === 0) throw new Error(`transform ${target} has neither a FROM SQL nor a TO SQL function`);
  return {
    id: `pg_transform:${row.oid}`, section: 'pre-data', priority: Priority.transform, type: 'TRANSFORM', schema: null,
    name: `${row.type} ${row.language}`, owner: null,
    sql: `CREATE TRANSFORM ${target} (${functions.join(', ')});\n${commentOn(`TRANSFORM ${target}`, row.comment)}`,
    drop: `DROP TRANSFORM IF EXISTS ${target};`, dependsOn: new Set(),
  };
}
