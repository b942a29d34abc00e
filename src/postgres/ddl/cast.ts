import type { CastRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';
import { commentOn } from './clauses.ts';

// CREATE CAST, as pg_dump writes it (the function always schema-qualified). A cast has no owner.

const contexts: Record<string, string> = { a: ' AS ASSIGNMENT', i: ' AS IMPLICIT' };

function castMethod(row: CastRow, q: IdentifierQuoter): string {
  if (row.method === 'b') return 'WITHOUT FUNCTION';
  if (row.method === 'i') return 'WITH INOUT';
  if (row.functionSchema === null || row.functionName === null) throw new Error(`cast ${row.source} AS ${row.target} has no function`);
  return `WITH FUNCTION ${q.qualified(row.functionSchema, row.functionName)}(${row.functionArgs ?? ''})`;
}

export function castEntry(row: CastRow, q: IdentifierQuoter): Entry {
  const pair = `(${row.source} AS ${row.target})`;
  return {
    id: `pg_cast:${row.oid}`, section: 'pre-data', priority: Priority.cast, type: 'CAST', schema: null, name: `CAST ${pair}`, owner: null,
    sql: `CREATE CAST ${pair} ${castMethod(row, q)}${contexts[row.context] ?? ''};\n${commentOn(`CAST ${pair}`, row.comment)}`,
    drop: `DROP CAST IF EXISTS ${pair};`,
    dependsOn: new Set(row.needsCasts.map((oid) => `pg_cast:${oid}`)),
  };
}
