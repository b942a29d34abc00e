import type pg from 'pg';
import type { LargeObjectRow } from './catalog.ts';
import type { DumpGuard } from './dump-guard.ts';

/**
 * The contents of every large object, as pg_dump writes them in a plain dump: one BLOBS entry in
 * the data section, after the setvals, inside BEGIN/COMMIT (a large object descriptor lives only as
 * long as its transaction): per object `lo_open(oid, INV_WRITE)`, its bytes in `lowrite` calls of
 * at most 16 KiB each (pg_dump's LOBBUFSIZE), then `lo_close`. The metadata (lo_create, owner,
 * comment, grants) is a pre-data entry of its own (ddl/large-object.ts).
 *
 * The bytes are read on the dump's own connection with lo_get, which reads as of the transaction's
 * snapshot. Objects are read in batches of their first 64 KiB (most are small: one round trip
 * serves many), and whatever is left of a bigger one a mebibyte at a time: however big an object
 * is, the dump holds one read and its hex text, never the whole object.
 */

/** lo_open's INV_WRITE flag (libpq/libpq-fs.h), as the script opens each object. */
const writeMode = 0x20000;
/** Bytes per lowrite, as pg_dump writes them. */
const bytesPerWrite = 16 * 1024;
/** Bytes of each object read with the others of its batch; the rest of a bigger one is read on its own. */
const batchPrefixBytes = 4 * bytesPerWrite;
/** Objects per batch: at most 4 MiB read at once. */
const batchSize = 64;
/** Bytes per read of what follows the first ones. */
const bytesPerRead = 64 * bytesPerWrite;

export async function* largeObjectData(client: pg.ClientBase, largeObjects: readonly LargeObjectRow[], guard: DumpGuard): AsyncGenerator<string> {
  if (largeObjects.length === 0) return;
  yield '--\n-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -\n--\n\nBEGIN;\n\n';
  for (let start = 0; start < largeObjects.length; start += batchSize) {
    const oids = largeObjects.slice(start, start + batchSize).map((largeObject) => String(largeObject.oid));
    // Hex as the server writes it: no decoding into a Buffer and encoding back.
    const { rows } = await guard.waitFor(
      `large objects ${oids[0]} to ${oids.at(-1)}`,
      client.query<{ oid: string; hex: string }>(
        `SELECT l.oid::text AS oid, pg_catalog.encode(pg_catalog.lo_get(l.oid, 0, $2), 'hex') AS hex
           FROM pg_catalog.unnest($1::pg_catalog.oid[]) WITH ORDINALITY AS l(oid, position) ORDER BY l.position`,
        [oids, batchPrefixBytes],
      ),
    );
    for (const { oid, hex } of rows) {
      yield `SELECT pg_catalog.lo_open('${oid}', ${writeMode});\n${lowrites(hex)}`;
      // A read that came back full may have more behind it.
      let more = hex.length === 2 * batchPrefixBytes;
      for (let offset = batchPrefixBytes; more; offset += bytesPerRead) {
        const read = await guard.waitFor(
          `large object ${oid}`,
          client.query<{ hex: string }>(`SELECT pg_catalog.encode(pg_catalog.lo_get($1::pg_catalog.oid, $2, $3), 'hex') AS hex`, [oid, offset, bytesPerRead]),
        );
        const rest = read.rows[0]!.hex;
        yield lowrites(rest);
        more = rest.length === 2 * bytesPerRead;
      }
      yield 'SELECT pg_catalog.lo_close(0);\n\n';
    }
  }
  yield 'COMMIT;\n\n';
}

/** `hex` (bytes as hex digits) as lowrite calls of at most 16 KiB each. */
function lowrites(hex: string): string {
  const lines: string[] = [];
  for (let at = 0; at < hex.length; at += 2 * bytesPerWrite) {
    lines.push(`SELECT pg_catalog.lowrite(0, '\\x${hex.slice(at, at + 2 * bytesPerWrite)}');\n`);
  }
  return lines.join('');
}
