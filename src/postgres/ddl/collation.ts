import type { CollationRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// CREATE COLLATION, as pg_dump writes it: provider, deterministic, locale (or lc_collate and
// lc_ctype when a libc collation's differ), ICU rules. No version: the target computes its own.

const providers: Record<string, string> = { c: 'libc', i: 'icu', b: 'builtin' };

function collationOptions(row: CollationRow): string {
  const provider = providers[row.provider];
  // Provider 'default' exists only in pg_catalog (CREATE COLLATION refuses to copy it): never a user's.
  if (provider === undefined) throw new Error(`collation ${row.schema}.${row.name} has provider '${row.provider}', which CREATE COLLATION cannot write`);
  let options = `provider = ${provider}`;
  if (!row.deterministic) options += ', deterministic = false';
  if (row.provider === 'c') {
    const lcCollate = row.lcCollate ?? '';
    const lcCtype = row.lcCtype ?? '';
    options += lcCollate === lcCtype ? `, locale = ${quoteLiteral(lcCollate)}` : `, lc_collate = ${quoteLiteral(lcCollate)}, lc_ctype = ${quoteLiteral(lcCtype)}`;
  } else {
    // PostgreSQL 14 keeps an ICU collation's locale in collcollate.
    options += `, locale = ${quoteLiteral(row.locale ?? row.lcCollate ?? '')}`;
    if (row.provider === 'i' && row.rules !== null) options += `, rules = ${quoteLiteral(row.rules)}`;
  }
  return options;
}

export function collationEntry(row: CollationRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.qualified(row.schema, row.name);
  return {
    id: `pg_collation:${row.oid}`, section: 'pre-data', priority: Priority.collation, type: 'COLLATION', schema: row.schema,
    name: row.name, owner: row.owner,
    sql: `CREATE COLLATION ${name} (${collationOptions(row)});\n${ownerTo('COLLATION', name, row.owner, q, options)}${commentOn(`COLLATION ${name}`, row.comment)}`,
    drop: `DROP COLLATION IF EXISTS ${name};`,
    dependsOn: new Set(),
  };
}
