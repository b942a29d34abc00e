import type { AccessMethodRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';
import { commentOn } from './clauses.ts';

// CREATE ACCESS METHOD (an access method has no owner).

const amTypes: Record<string, string> = { i: 'INDEX', t: 'TABLE' };

export function accessMethodEntry(row: AccessMethodRow, q: IdentifierQuoter): Entry {
  const name = q.ident(row.name);
  const type = amTypes[row.type];
  if (type === undefined) throw new Error(`access method ${row.name} has type '${row.type}', which CREATE ACCESS METHOD cannot write`);
  return {
    id: `pg_am:${row.oid}`, section: 'pre-data', priority: Priority.accessMethod, type: 'ACCESS METHOD', schema: null, name: row.name,
    owner: null, sql: `CREATE ACCESS METHOD ${name} TYPE ${type} HANDLER ${row.handler};\n${commentOn(`ACCESS METHOD ${name}`, row.comment)}`,
    drop: `DROP ACCESS METHOD IF EXISTS ${name};`, dependsOn: new Set(),
  };
}
