import type { ConversionRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// CREATE [DEFAULT] CONVERSION, as pg_dump writes it.

export function conversionEntry(row: ConversionRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.qualified(row.schema, row.name);
  const sql = `CREATE ${row.isDefault ? 'DEFAULT ' : ''}CONVERSION ${name} FOR ${quoteLiteral(row.from)} TO ${quoteLiteral(row.to)} FROM ${row.function};\n` +
    `${ownerTo('CONVERSION', name, row.owner, q, options)}${commentOn(`CONVERSION ${name}`, row.comment)}`;
  return {
    id: `pg_conversion:${row.oid}`, section: 'pre-data', priority: Priority.conversion, type: 'CONVERSION', schema: row.schema,
    name: row.name, owner: row.owner, sql, drop: `DROP CONVERSION IF EXISTS ${name};`, dependsOn: new Set(),
  };
}
