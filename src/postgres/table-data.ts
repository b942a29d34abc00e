import { constants as zlibConstants, createGzip, type Gzip } from 'node:zlib';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { TableSummary } from './dump-manifest.ts';
import { UserError } from '../errors.ts';
import { renderEntry, type DdlOptions } from './ddl.ts';
import type { DumpGuard } from './dump-guard.ts';
import { commentSafe, type IdentifierQuoter } from './quote.ts';
import type { DataTable } from './schema.ts';
import { RowSetHasher, TableHasher, type CopyTextHasher } from './table-hash.ts';

/*
 * What the dump's leader (dump.ts) and its workers (parallel-data.ts) both need to copy a table
 * the same way: the session settings and the COPY streaming. Verify re-reads restored tables with it.
 */

export interface DumpProgress {
  phase: 'schema' | 'data' | 'post-data';
  table?: string;
  tablesDone: number;
  tablesTotal: number;
  rows: number;
  bytes: number;
}

/**
 * The session settings pg_dump uses (pg-dump-facts §1.1): an empty search_path first, so every
 * pg_get_*def and format_type result is schema-qualified; formats that make COPY text exact and
 * stable; no timeouts; row_security off so RLS makes the dump fail rather than silently filter;
 * JIT off, as pg_dump sets it: the catalog queries are costed high enough to be compiled, which took
 * 1 to 9 s of a dump of an empty database on PostgreSQL 15 (0.3 s without).
 * A verifier that re-reads a restored table must use the same ones to get the same bytes.
 */
export async function applyDumpSessionSettings(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT pg_catalog.set_config('search_path', '', false)`);
  await client.query(
    `SET DATESTYLE = ISO; SET INTERVALSTYLE = POSTGRES; SET extra_float_digits TO 3; SET synchronize_seqscans TO off;
     SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0; SET row_security = off;
     SET jit = off`,
  );
}

/**
 * The gzip stream every member of the dump is written with, at the level asked for; whatever the
 * options, the output is plain gzip. The Z_FILTERED strategy (short matches are left as literals,
 * which the Huffman codes store about as well) makes COPY text both faster to deflate and smaller:
 * on the 1 GB benchmark's CLIP embeddings (60 MB of float text) 1.95 s instead of 2.82 s of CPU and
 * 39.3 % instead of 41.6 % of the size; on the mid-sized script 1.11 s and 26.4 % instead of 27.4 %.
 * An 8 KiB window (windowBits 13) instead of 32 KiB: deflate searches a shorter history for matches,
 * which on top of that takes a third less CPU on the mid-sized script and a quarter less on
 * embedding text, for 7 % and 2 % more output (100 MB of each at level 6, memLevel 9, Z_FILTERED).
 * memLevel 9 (the most hash memory, 384 KiB per stream instead of 256) deflates about 5 % faster and
 * 0.1 % smaller; 64 KiB output buffers instead of 16 KiB mean a quarter of the thread-pool round
 * trips and output chunks.
 */
export function dumpGzip(level: number): Gzip {
  return createGzip({ level, windowBits: 13, memLevel: 9, strategy: zlibConstants.Z_FILTERED, chunkSize: 64 * 1024 });
}

/**
 * Part of a big table copied on its own connection: the rows whose tuples lie in heap pages
 * [fromPage, toPage) (null: no bound on that side). Pieces in order cover the table exactly once,
 * in the order a sequential scan returns it, so the joined COPY text is what one COPY would give.
 */
export interface TablePiece {
  index: number;
  count: number;
  fromPage: number | null;
  toPage: number | null;
}

/** A table's manifest entry before any row is copied. */
export function emptyTableSummary(table: DataTable): TableSummary {
  return { schema: table.schema, name: table.name, rows: 0, bytes: 0, sha256: '', ...(table.loadViaRoot === undefined ? {} : { loadedViaRoot: table.loadViaRoot }) };
}

/**
 * One table's data entry: its header, `COPY ... FROM stdin;`, the rows as the server sent them, `\.`.
 * For a piece of a table, only the first piece writes the header and only the last one the `\.`.
 */
export async function* tableData(
  client: pg.ClientBase,
  table: DataTable,
  quoter: IdentifierQuoter,
  ddlOptions: DdlOptions,
  summary: TableSummary,
  { piece, onChunk, guard }: { piece?: TablePiece; onChunk?: () => void; guard?: DumpGuard } = {},
): AsyncGenerator<Buffer | string> {
  const columns = table.columns.map((column) => quoter.ident(column)).join(', ');
  const qualified = quoter.qualified(table.schema, table.name);
  const target = `${qualified} ${columns === '' ? '' : `(${columns})`}`;
  if (piece === undefined || piece.index === 0) {
    yield renderEntry(
      { id: '', section: 'pre-data', priority: 0, type: 'TABLE DATA', schema: table.schema, name: table.name, owner: table.owner, sql: '', drop: null, dependsOn: new Set() },
      ddlOptions,
    ).replace('-- Name:', '-- Data for Name:').replace(/\n$/, '');
    if (table.loadViaRoot === undefined) yield `COPY ${target} FROM stdin;\n`;
    else {
      // pg_dump's form: the partition's columns, loaded into its root, which routes each row.
      const root = quoter.qualified(table.loadViaRoot.schema, table.loadViaRoot.name);
      yield `-- load via partition root ${commentSafe(root)}\n\nCOPY ${root} ${columns === '' ? '' : `(${columns})`} FROM stdin;\n`;
    }
  }
  let copySql = copyOutSql(qualified, columns, table.condition);
  if (piece !== undefined && piece.count > 1) {
    // A TID range scan (PostgreSQL 14+) reads just these pages; ONLY, because COPY of a table never includes its children.
    const bounds = [
      ...(piece.fromPage === null ? [] : [`ctid >= '(${piece.fromPage},0)'::pg_catalog.tid`]),
      ...(piece.toPage === null ? [] : [`ctid < '(${piece.toPage},0)'::pg_catalog.tid`]),
    ];
    copySql = `COPY (SELECT ${columns} FROM ONLY ${qualified} WHERE ${bounds.join(' AND ')}) TO STDOUT`;
  }
  // A partition loaded through its root gets other rows on restore: only its tree's rows together compare (RowSetHasher).
  const hasher = table.loadViaRoot === undefined ? new TableHasher() : new RowSetHasher();
  for await (const chunk of copyTableData(client, copySql, summary, hasher, guard === undefined ? undefined : () => guard.startWait(`table ${table.schema}.${table.name}`))) {
    yield chunk;
    onChunk?.();
  }
  if (piece === undefined || piece.index === piece.count - 1) yield '\\.\n\n\n';
}

/**
 * The COPY ... TO STDOUT that reads a table's dumped rows (`columns`: its quoted COPY column list):
 * all of them, or for an extension's configuration table those the extension's condition picks,
 * in pg_dump's form. Verify reads a restored table back with the same statement.
 */
export function copyOutSql(qualifiedName: string, columns: string, condition: string | undefined): string {
  if (condition === undefined) return `COPY ${qualifiedName} ${columns === '' ? '' : `(${columns})`} TO STDOUT`;
  return `COPY (SELECT ${columns === '' ? '*' : columns} FROM ${qualifiedName} ${condition}) TO STDOUT`;
}

/**
 * Streams one table's COPY text exactly as the server sends it (never decoded and re-encoded),
 * counting rows and bytes and hashing it for the manifest. A line that is exactly `\.` would end
 * the COPY early on restore; the server never produces one (backslashes are doubled), so seeing one
 * means the data cannot be trusted and the dump fails. Chunks pass through as they arrive: joining
 * them would only make garbage for the collector, which is what a flat memory profile cannot afford.
 */
export async function* copyTableData(
  client: pg.ClientBase,
  copySql: string,
  summary: TableSummary,
  hash: CopyTextHasher = new TableHasher(),
  waiting?: () => () => void,
): AsyncGenerator<Buffer> {
  const stream = client.query(copyTo(copySql));
  // The last three bytes seen, so that a marker split across two chunks is still found.
  let tail = Buffer.from('\n');
  for await (const chunk of waitedFor(stream as AsyncIterable<Buffer>, waiting)) {
    const seam = Buffer.concat([tail, chunk.subarray(0, 3)]);
    if (chunk.includes(endOfDataLine) || seam.includes(endOfDataLine)) {
      throw new UserError(`refusing to dump ${copySql}: the server sent an end-of-data marker inside the data`);
    }
    tail = chunk.length >= 3 ? Buffer.from(chunk.subarray(chunk.length - 3)) : Buffer.concat([tail, chunk]).subarray(-3);
    hash.update(chunk);
    summary.bytes += chunk.length;
    yield chunk;
  }
  summary.rows = stream.rowCount;
  summary.sha256 = hash.digest();
}

const endOfDataLine = Buffer.from('\n\\.\n');


/**
 * `source`'s items, with each wait for the next one marked by `waiting` (a stall is a wait for the
 * server; the time the consumer takes with an item is not).
 */
async function* waitedFor<T>(source: AsyncIterable<T>, waiting: (() => () => void) | undefined): AsyncGenerator<T> {
  if (waiting === undefined) return yield* source;
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  try {
    while (true) {
      const finished = waiting();
      let next: IteratorResult<T>;
      try {
        next = await iterator.next();
      } finally {
        finished();
      }
      if (next.done === true) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}
