import type { OperatorRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// CREATE OPERATOR, as pg_dump writes it. A commutator or negator that does not exist yet is made
// a shell operator by CREATE OPERATOR, which the later CREATE OPERATOR of that name fills in.

const operatorReference = ([schema, name]: [string, string], q: IdentifierQuoter) => `OPERATOR(${q.ident(schema)}.${name})`;

export function operatorEntry(row: OperatorRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  // A prefix operator (oprkind 'l') has no left argument; postfix ones are gone since 14.
  const left = row.kind === 'l' ? 'NONE' : row.leftType;
  const signature = `${q.ident(row.schema)}.${row.name}(${left}, ${row.rightType})`;
  const details = [`    FUNCTION = ${row.function}`];
  if (row.kind !== 'l') details.push(`    LEFTARG = ${row.leftType}`);
  details.push(`    RIGHTARG = ${row.rightType}`);
  if (row.commutator !== null) details.push(`    COMMUTATOR = ${operatorReference(row.commutator, q)}`);
  if (row.negator !== null) details.push(`    NEGATOR = ${operatorReference(row.negator, q)}`);
  if (row.merges) details.push('    MERGES');
  if (row.hashes) details.push('    HASHES');
  if (row.restrict !== null) details.push(`    RESTRICT = ${row.restrict}`);
  if (row.join !== null) details.push(`    JOIN = ${row.join}`);
  const sql = `CREATE OPERATOR ${q.ident(row.schema)}.${row.name} (\n${details.join(',\n')}\n);\n${ownerTo('OPERATOR', signature, row.owner, q, options)}${commentOn(`OPERATOR ${signature}`, row.comment)}`;
  return {
    id: `pg_operator:${row.oid}`, section: 'pre-data', priority: Priority.operator, type: 'OPERATOR', schema: row.schema,
    name: `${row.name} (${left}, ${row.rightType})`, owner: row.owner, sql, drop: `DROP OPERATOR IF EXISTS ${signature};`, dependsOn: new Set(),
  };
}
