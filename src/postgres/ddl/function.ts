import type { FunctionRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// Functions and procedures (CREATE FUNCTION / CREATE PROCEDURE, as pg_get_functiondef writes them).

/** Where the quoted text (a '...' literal or "..." identifier) starting at `start` ends: after its closing quote (a doubled one is inside). */
function endOfQuoted(text: string, start: number): number {
  const quote = text[start]!;
  for (let at = start + 1; at < text.length; at += 1) {
    if (text[at] !== quote) continue;
    if (text[at + 1] !== quote) return at + 1;
    at += 1;
  }
  return text.length;
}

/**
 * PostgreSQL (14 to 18 at least) prints a SQL-standard body's reference to a parameter without a
 * name as "" (an empty identifier, which SQL has no other use for), qualified by the function's
 * name where it qualifies parameters, when another parameter has a name; CREATE FUNCTION then fails
 * ('zero-length delimited identifier'), pg_dump's copy too. When one input parameter is unnamed
 * (functions.sql), each such "" outside literals and identifiers is put back as `$n`.
 */
function withUnnamedParameter(definition: string, functionName: string, parameter: number): string {
  const qualifier = `${functionName}.`;
  let written = '';
  let at = 0;
  while (at < definition.length) {
    const char = definition[at]!;
    if (char !== "'" && char !== '"') {
      written += char;
      at += 1;
      continue;
    }
    const end = endOfQuoted(definition, at);
    if (char === '"' && end === at + 2) {
      if (written.endsWith(qualifier)) written = written.slice(0, -qualifier.length);
      written += `$${parameter}`;
    } else written += definition.slice(at, end);
    at = end;
  }
  return written;
}

export function functionEntry(row: FunctionRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const kind = row.kind === 'p' ? 'PROCEDURE' : 'FUNCTION';
  const signature = `${q.qualified(row.schema, row.name)}(${row.identityArgs})`;
  // pg_get_functiondef keeps SQL-standard bodies (RETURN / BEGIN ATOMIC) parsed and qualified; never rebuild from prosrc.
  const printed = row.definition.replace(/\s*$/, '');
  const definition = row.unnamedParameter === null ? printed : withUnnamedParameter(printed, q.ident(row.name), row.unnamedParameter);
  return {
    id: `pg_proc:${row.oid}`, section: 'pre-data', priority: Priority.function, type: kind, schema: row.schema,
    name: `${row.name}(${row.identityArgs})`, owner: row.owner,
    sql: `${definition};\n${ownerTo(kind, signature, row.owner, q, options)}${commentOn(`${kind} ${signature}`, row.comment)}${grants(kind, signature, row.owner, row.acl, q, options)}`,
    drop: `DROP ${kind} IF EXISTS ${signature};`,
    dependsOn: new Set(),
  };
}
