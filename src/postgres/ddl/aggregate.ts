import type { AggregateRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// CREATE AGGREGATE, written from pg_aggregate the way pg_dump does (no server function writes it).

const modifyWords: Record<string, string> = { r: 'READ_ONLY', s: 'SHAREABLE', w: 'READ_WRITE' };
const parallelWords: Record<string, string> = { s: 'safe', r: 'restricted' };

export function aggregateEntry(row: AggregateRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  // A zero-argument aggregate is written name(*).
  const signature = `${q.qualified(row.schema, row.name)}(${row.identityArgs === '' ? '*' : row.identityArgs})`;
  // The final functions of ordinary aggregates default to READ_ONLY, of ordered-set ones to READ_WRITE.
  const defaultModify = row.kind === 'n' ? 'r' : 'w';
  const details = [`    SFUNC = ${row.transFunction}`, `    STYPE = ${row.transType}`];
  if (row.transSpace !== 0) details.push(`    SSPACE = ${row.transSpace}`);
  if (row.initialValue !== null) details.push(`    INITCOND = ${quoteLiteral(row.initialValue)}`);
  if (row.finalFunction !== null) {
    details.push(`    FINALFUNC = ${row.finalFunction}`);
    if (row.finalExtra) details.push('    FINALFUNC_EXTRA');
    if (row.finalModify !== defaultModify) details.push(`    FINALFUNC_MODIFY = ${modifyWords[row.finalModify]}`);
  }
  if (row.combineFunction !== null) details.push(`    COMBINEFUNC = ${row.combineFunction}`);
  if (row.serialFunction !== null) details.push(`    SERIALFUNC = ${row.serialFunction}`);
  if (row.deserialFunction !== null) details.push(`    DESERIALFUNC = ${row.deserialFunction}`);
  if (row.movingTransFunction !== null) {
    details.push(`    MSFUNC = ${row.movingTransFunction}`, `    MINVFUNC = ${row.movingInverseFunction}`, `    MSTYPE = ${row.movingTransType}`);
  }
  if (row.movingTransSpace !== 0) details.push(`    MSSPACE = ${row.movingTransSpace}`);
  if (row.movingInitialValue !== null) details.push(`    MINITCOND = ${quoteLiteral(row.movingInitialValue)}`);
  if (row.movingFinalFunction !== null) {
    details.push(`    MFINALFUNC = ${row.movingFinalFunction}`);
    if (row.movingFinalExtra) details.push('    MFINALFUNC_EXTRA');
    if (row.movingFinalModify !== defaultModify) details.push(`    MFINALFUNC_MODIFY = ${modifyWords[row.movingFinalModify]}`);
  }
  if (row.sortOperator !== null) details.push(`    SORTOP = OPERATOR(${q.ident(row.sortOperator[0])}.${row.sortOperator[1]})`);
  if (row.kind === 'h') details.push('    HYPOTHETICAL');
  const parallel = parallelWords[row.parallel];
  if (parallel !== undefined) details.push(`    PARALLEL = ${parallel}`);
  const create = `CREATE AGGREGATE ${q.qualified(row.schema, row.name)}(${row.args === '' ? '*' : row.args}) (\n${details.join(',\n')}\n);\n`;
  return {
    id: `pg_proc:${row.oid}`, section: 'pre-data', priority: Priority.aggregate, type: 'AGGREGATE', schema: row.schema,
    name: `${row.name}(${row.identityArgs === '' ? '*' : row.identityArgs})`, owner: row.owner,
    sql: `${create}${ownerTo('AGGREGATE', signature, row.owner, q, options)}${commentOn(`AGGREGATE ${signature}`, row.comment)}${grants('FUNCTION', signature, row.owner, row.acl, q, options)}`,
    drop: `DROP AGGREGATE IF EXISTS ${signature};`,
    dependsOn: new Set(),
  };
}
