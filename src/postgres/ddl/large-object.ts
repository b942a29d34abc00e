import type { LargeObjectRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// A large object's metadata entry, as pg_dump (up to 16) writes it: lo_create with its OID (other
// rows may store that OID), owner, comment and grants. Its contents come in the data section
// (large-object-data.ts), after every table's, where pg_dump writes them too.

export function largeObjectEntry(row: LargeObjectRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const oid = String(row.oid);
  const target = `LARGE OBJECT ${oid}`;
  const sql =
    `SELECT pg_catalog.lo_create('${oid}');\n` +
    `${ownerTo('LARGE OBJECT', oid, row.owner, q, options)}${commentOn(target, row.comment)}${grants('LARGE OBJECT', oid, row.owner, row.acl, q, options)}`;
  return {
    id: `pg_largeobject:${oid}`, section: 'pre-data', priority: Priority.largeObject, type: 'BLOB', schema: null, name: oid,
    owner: row.owner, sql,
    // There is no DROP LARGE OBJECT IF EXISTS: pg_dump's guarded lo_unlink.
    drop: `SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '${oid}';`,
    dependsOn: new Set(),
  };
}
