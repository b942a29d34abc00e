import type { ExtensionRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';
import { commentOn } from './clauses.ts';

// CREATE EXTENSION.

export function extensionEntry(row: ExtensionRow, q: IdentifierQuoter): Entry {
  const name = q.ident(row.name);
  return {
    id: `pg_extension:${row.oid}`, section: 'pre-data', priority: Priority.extension, type: 'EXTENSION', schema: null,
    name: row.name, owner: null,
    // No VERSION: the target installs its own default version, as pg_dump does. An extension the
    // dumping role does not own was created beforehand by a superuser (Immich's non-superuser
    // setup): the role could not drop it or comment on it on restore, so the script does neither
    // (its control-file comment comes with CREATE EXTENSION; a changed one is still written).
    sql: `CREATE EXTENSION IF NOT EXISTS ${name} WITH SCHEMA ${q.ident(row.schema)};\n${commentOn(
      `EXTENSION ${name}`,
      !row.owned && row.comment === row.defaultComment ? null : row.comment,
    )}`,
    drop: row.owned ? `DROP EXTENSION IF EXISTS ${name};` : null,
    dependsOn: new Set(),
  };
}
