import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { TableSummary } from '../backup/manifest.ts';
import type { DdlOptions } from './ddl.ts';
import { applyDumpSessionSettings, gzipMembers, tableData, type DumpOptions } from './dump.ts';
import type { IdentifierQuoter } from './quote.ts';
import type { Catalog } from './schema.ts';

export interface ParallelDataOptions {
  /** The leader's connection: it holds the snapshot and the locks while the workers copy. */
  client: pg.ClientBase;
  catalog: Catalog;
  quoter: IdentifierQuoter;
  ddlOptions: DdlOptions;
  options: DumpOptions;
  /** pg_export_snapshot() of the leader's transaction: every worker reads exactly what it sees. */
  snapshot: string;
  jobs: number;
  level: number;
  tempDirectory: string | undefined;
}

export interface TableMember {
  summary: TableSummary;
  uncompressedBytes: number;
  /** The table's data entry as one complete gzip member. */
  chunks: AsyncIterable<Buffer>;
}

interface Outcome {
  summary: TableSummary;
  uncompressedBytes: number;
  file: string;
}

/**
 * Copies and compresses table data on `jobs` connections that all share the leader's snapshot
 * (`SET TRANSACTION SNAPSHOT`), biggest tables first, and hands back one gzip member per table in
 * pg_dump's order. A finished member waits its turn in a temporary file, never in memory, so memory
 * stays flat whatever the table sizes; backpressure holds within each worker's own pipeline.
 */
export async function* parallelTableData(parallel: ParallelDataOptions): AsyncGenerator<TableMember> {
  const { catalog, options } = parallel;
  const tables = catalog.dataTables;
  const directory = await mkdtemp(join(parallel.tempDirectory ?? tmpdir(), '.immich-backup-dump-'));
  const outcomes = tables.map(() => deferred<Outcome>());
  const { rows: sizes } = await parallel.client.query<{ oid: number; size: number }>(
    'SELECT c.oid::int AS oid, pg_catalog.pg_relation_size(c.oid)::float8 AS size FROM pg_catalog.pg_class c WHERE c.oid = ANY ($1::oid[])',
    [tables.map((table) => table.oid)],
  );
  const sizeOf = new Map(sizes.map((row) => [row.oid, row.size]));
  const queue = tables.map((_, index) => index).sort((a, b) => (sizeOf.get(tables[b]!.oid) ?? 0) - (sizeOf.get(tables[a]!.oid) ?? 0));
  const workers: pg.Client[] = [];
  let failed: unknown;
  let done = 0;

  const fail = (error: unknown) => {
    failed ??= error;
    for (const outcome of outcomes) outcome.reject(failed);
  };
  const work = async () => {
    const client = new pg.Client({ ...options.connection, application_name: 'immich-backup dump worker' });
    client.on('error', () => undefined);
    workers.push(client);
    await client.connect();
    await applyDumpSessionSettings(client);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(parallel.snapshot)}`);
    for (let index = queue.shift(); index !== undefined && failed === undefined; index = queue.shift()) {
      const table = tables[index]!;
      const summary: TableSummary = { schema: table.schema, name: table.name, rows: 0, bytes: 0, sha256: '' };
      const file = join(directory, `${index}.gz`);
      let uncompressedBytes = 0;
      const counted = async function* () {
        for await (const piece of tableData(client, table, parallel.quoter, parallel.ddlOptions, summary)) {
          uncompressedBytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
          yield piece;
        }
      };
      // Workers share the compression threads: each keeps two blocks in flight.
      await pipeline(Readable.from(gzipMembers(counted(), parallel.level, 2)), createWriteStream(file), options.signal === undefined ? {} : { signal: options.signal });
      outcomes[index]!.resolve({ summary, uncompressedBytes, file });
      done += 1;
      options.onProgress?.({ phase: 'data', table: `${table.schema}.${table.name}`, tablesDone: done, tablesTotal: tables.length, rows: summary.rows, bytes: summary.bytes });
    }
    await client.query('COMMIT');
  };
  const running = Promise.all(Array.from({ length: Math.min(parallel.jobs, tables.length) }, () => work().catch(fail)));

  try {
    for (const outcome of outcomes) {
      const { summary, uncompressedBytes, file } = await outcome.promise;
      yield { summary, uncompressedBytes, chunks: readAndRemove(file) };
    }
    await running;
    if (failed !== undefined) throw failed;
  } catch (error) {
    fail(error);
    throw error;
  } finally {
    // On any failure (or an early stop of the consumer), stop the workers where they are.
    if (failed !== undefined) for (const client of workers) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    await running.catch(() => undefined);
    await Promise.all(workers.map((client) => Promise.race([client.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())])));
    await rm(directory, { recursive: true, force: true });
  }
}

async function* readAndRemove(file: string): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) yield chunk;
  await rm(file, { force: true });
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Outcomes nobody waits for any more (after a failure) must not become unhandled rejections.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
