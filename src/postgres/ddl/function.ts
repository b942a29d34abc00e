import type { FunctionRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// Functions and procedures (CREATE FUNCTION / CREATE PROCEDURE, as pg_get_functiondef writes them).

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
