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
 * The bytes are read on the dump's own connection, inside its snapshot (a descriptor opened for
 * reading reads as of the transaction's snapshot), a mebibyte at a time: however big an object
 * is, the dump holds one read and its hex text, never the whole object.
 */

/** lo_open's INV_READ and INV_WRITE flags (libpq/libpq-fs.h). */
const readMode = 0x40000;
const writeMode = 0x20000;
/** Bytes per lowrite, as pg_dump writes them. */
const bytesPerWrite = 16 * 1024;
/** Bytes per loread: many lowrites per round trip to the server. */
const bytesPerRead = 64 * bytesPerWrite;

export async function* largeObjectData(client: pg.ClientBase, largeObjects: readonly LargeObjectRow[], guard: DumpGuard): AsyncGenerator<string> {
  if (largeObjects.length === 0) return;
  yield '--\n-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -\n--\n\nBEGIN;\n\n';
  for (const largeObject of largeObjects) {
    const oid = String(largeObject.oid);
    const what = `large object ${oid}`;
    yield `SELECT pg_catalog.lo_open('${oid}', ${writeMode});\n`;
    const { rows } = await guard.waitFor(what, client.query<{ fd: number }>('SELECT pg_catalog.lo_open($1::pg_catalog.oid, $2) AS fd', [oid, readMode]));
    const fd = rows[0]!.fd;
    for (;;) {
      // Hex as the server writes it: no decoding into a Buffer and encoding back.
      const read = await guard.waitFor(
        what,
        client.query<{ hex: string }>(`SELECT pg_catalog.encode(pg_catalog.loread($1, $2), 'hex') AS hex`, [fd, bytesPerRead]),
      );
      const hex = read.rows[0]!.hex;
      const lines: string[] = [];
      for (let at = 0; at < hex.length; at += 2 * bytesPerWrite) {
        lines.push(`SELECT pg_catalog.lowrite(0, '\\x${hex.slice(at, at + 2 * bytesPerWrite)}');\n`);
      }
      if (lines.length > 0) yield lines.join('');
      if (hex.length < 2 * bytesPerRead) break;
    }
    await guard.waitFor(what, client.query('SELECT pg_catalog.lo_close($1)', [fd]));
    yield 'SELECT pg_catalog.lo_close(0);\n\n';
  }
  yield 'COMMIT;\n\n';
}
