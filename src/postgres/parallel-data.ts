import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { TableSummary } from './dump-manifest.ts';
import { UserError } from '../errors.ts';
import { closeClient, destroyConnection, type ConnectionSettings } from './connection.ts';
import type { DdlOptions } from './ddl.ts';
import type { DumpGuard } from './dump-guard.ts';
import type { IdentifierQuoter } from './quote.ts';
import type { Catalog, DataTable } from './schema.ts';
import { applyDumpSessionSettings, dumpGzip, emptyTableSummary, tableData, type DumpProgress, type TablePiece } from './table-data.ts';
import { combinePieceDigests } from './table-hash.ts';

export interface ParallelDataOptions {
  /** The leader's connection: it holds the snapshot and the locks while the workers copy. */
  client: pg.ClientBase;
  catalog: Catalog;
  quoter: IdentifierQuoter;
  ddlOptions: DdlOptions;
  options: { connection: ConnectionSettings; onProgress?: (progress: DumpProgress) => void };
  /** Cuts every worker's connection when the dump is stopped (SIGTERM, deadline, stall). */
  guard: DumpGuard;
  /** pg_export_snapshot() of the leader's transaction: every worker reads exactly what it sees. */
  snapshot: string;
  jobs: number;
  level: number;
  tempDirectory: string | undefined;
  /**
   * Tables bigger than this on disk are copied in page-range pieces of about this size. Default:
   * from the database's shape (see shapePieceBytes).
   */
  pieceBytes: number | undefined;
}

/** One finished task's gzip member, in the order the script needs it. */
export interface DataMember {
  uncompressedBytes: number;
  /** One complete gzip member: a table's data entry, or one piece of it. */
  chunks: AsyncIterable<Buffer>;
  /** The table's summary, on the member that completes its table (the last piece). */
  table?: TableSummary;
}

/** One unit of work: a whole table, or one page range of a big one. */
interface Task {
  table: number;
  piece: TablePiece;
  file: string;
  outcome: Deferred<PieceOutcome>;
}

interface PieceOutcome {
  rows: number;
  bytes: number;
  sha256: string;
  uncompressedBytes: number;
}

/**
 * Copies and compresses table data on `jobs` connections that all share the leader's snapshot
 * (`SET TRANSACTION SNAPSHOT`), and hands back each table's data entry in pg_dump's
 * order. Each task streams COPY → gzip → a temporary file with backpressure all the way, so
 * memory stays flat whatever the table sizes; finished members wait their turn on disk.
 */
export async function* parallelTableData(parallel: ParallelDataOptions): AsyncGenerator<DataMember> {
  const { catalog, options, guard } = parallel;
  const tables = catalog.dataTables;
  const directory = await mkdtemp(join(parallel.tempDirectory ?? tmpdir(), '.immich-backup-dump-'));
  const tasksByTable = await planTasks(parallel, directory);
  // In the script's order: the leader can then join members while the workers go on, so the
  // temporary files stay a few pieces deep; cutting big tables into pieces keeps the load even.
  const queue = tasksByTable.flat();
  const workers: pg.Client[] = [];
  const piecesLeft = tasksByTable.map((tasks) => tasks.length);
  let failed: unknown;
  let tablesDone = 0;

  const fail = (error: unknown) => {
    failed ??= guard.reason(error);
    for (const task of tasksByTable.flat()) task.outcome.reject(failed);
  };
  const work = async () => {
    const client = await guard.open(options.connection, 'immich-backup dump worker');
    workers.push(client);
    await guard.waitFor('a worker to join the snapshot', (async () => {
      await applyDumpSessionSettings(client);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(parallel.snapshot)}`);
    })());
    const locked = new Set<number>();
    for (let task = queue.shift(); task !== undefined && failed === undefined; task = queue.shift()) {
      const table = tables[task.table]!;
      if (!locked.has(table.oid)) {
        await lockForCopy(client, table, parallel.quoter, guard);
        locked.add(table.oid);
      }
      const summary = emptyTableSummary(table);
      let uncompressedBytes = 0;
      const counted = async function* () {
        for await (const part of tableData(client, table, parallel.quoter, parallel.ddlOptions, summary, { piece: task.piece, guard })) {
          uncompressedBytes += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
          yield part;
        }
      };
      await pipeline(counted, dumpGzip(parallel.level), createWriteStream(task.file), { signal: guard.signal });
      task.outcome.resolve({ rows: summary.rows, bytes: summary.bytes, sha256: summary.sha256, uncompressedBytes });
      piecesLeft[task.table]! -= 1;
      if (piecesLeft[task.table] === 0) {
        tablesDone += 1;
        options.onProgress?.({ phase: 'data', table: `${table.schema}.${table.name}`, tablesDone, tablesTotal: tables.length, rows: summary.rows, bytes: summary.bytes });
      }
    }
    await guard.waitFor('the end of a worker transaction', client.query('COMMIT'));
  };
  const running = Promise.all(
    Array.from({ length: Math.min(parallel.jobs, queue.length) }, () =>
      work().catch((error: unknown) => {
        fail(error);
        // The others stop at once too (their connections are cut), not after their current table.
        guard.fail(failed);
      }),
    ),
  );

  try {
    // Each member is joined as soon as it and those before it are done (not when its whole table
    // is), so the copying into the output is spread over the run and temporary files stay few.
    for (const [index, tasks] of tasksByTable.entries()) {
      const outcomes: PieceOutcome[] = [];
      for (const task of tasks) {
        const outcome = await task.outcome.promise;
        outcomes.push(outcome);
        const last = outcomes.length === tasks.length;
        yield {
          uncompressedBytes: outcome.uncompressedBytes,
          chunks: readAndRemove(task.file),
          ...(last ? { table: tableSummary(tables[index]!, outcomes) } : {}),
        };
      }
    }
    await running;
    if (failed !== undefined) throw failed;
  } catch (error) {
    fail(error);
    throw error;
  } finally {
    // On any failure (or an early stop of the consumer), stop the workers where they are.
    if (failed !== undefined) for (const client of workers) destroyConnection(client);
    await running.catch(() => undefined);
    await Promise.all(workers.map((client) => closeClient(client)));
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * Each worker takes its own ACCESS SHARE lock on a table before copying it, without waiting (as
 * pg_dump -j does). The leader's lock keeps DDL out, but a session asking for a conflicting lock
 * (an ALTER TABLE of a migration) queues behind it, and a worker asking after that would queue
 * behind the ALTER: the dump would wait for the ALTER, the ALTER for the dump, and every query of
 * Immich on that table behind both, for ever. Failing at once, naming who waits, ends that.
 */
async function lockForCopy(client: pg.Client, table: DataTable, quoter: IdentifierQuoter, guard: DumpGuard): Promise<void> {
  const name = `${table.schema}.${table.name}`;
  try {
    await guard.waitFor(`the lock on table ${name}`, client.query(`LOCK TABLE ${quoter.qualified(table.schema, table.name)} IN ACCESS SHARE MODE NOWAIT`));
  } catch (error) {
    if ((error as { code?: string }).code !== '55P03') throw error;
    // The transaction is void after the error; who waits is read outside it (best effort: the dump fails anyway).
    const waiters = await guard
      .waitFor('the sessions waiting for a lock', client.query('ROLLBACK').then(() => lockWaiters(client, table.oid)))
      .catch(() => []);
    const who =
      waiters.length === 0
        ? 'another session asked for a conflicting lock on it'
        : `another session is waiting to change it (${waiters.map((w) => `pid ${w.pid}, ${w.mode}: ${statementExcerpt(w.query)}`).join('; ')})`;
    throw new UserError(
      `cannot copy table ${name}: ${who}. The dump stops rather than queue behind it, which would hold that session, ` +
        'and every query on the table behind it, until the dump ends (pg_dump -j does the same); run the backup again when it is done',
      { cause: error },
    );
  }
}

async function lockWaiters(client: pg.Client, relation: number): Promise<{ pid: number; mode: string; query: string | null }[]> {
  const { rows } = await client.query<{ pid: number; mode: string; query: string | null }>(
    `SELECT l.pid, l.mode, a.query
       FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'relation' AND l.relation = $1 AND NOT l.granted
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
      ORDER BY l.pid`,
    [relation],
  );
  return rows;
}

/** One line of a statement for a message: whitespace folded, cut at 200 characters, password literals hidden. */
function statementExcerpt(query: string | null): string {
  if (query === null || query === '') return '(statement not visible to this role)';
  const line = query.replace(/\s+/g, ' ').trim().replace(/(password\s+)'(?:[^']|'')*'/gi, "$1'***'");
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * One task per table, except that a table bigger than `pieceBytes` on disk is cut into page
 * ranges of about that size. TID range scans need PostgreSQL 14; older servers copy whole tables.
 * The first range is open below and the last open above, so rows in pages added after the size
 * was read (none are visible to the snapshot, but nothing is assumed) are still copied.
 */
async function planTasks(parallel: ParallelDataOptions, directory: string): Promise<Task[][]> {
  const tables = parallel.catalog.dataTables;
  const { rows } = await parallel.client.query<{ oid: number; size: number; pages: number }>(
    `SELECT c.oid::int AS oid, pg_catalog.pg_table_size(c.oid)::float8 AS size,
            (pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::int)::float8 AS pages
       FROM pg_catalog.pg_class c WHERE c.oid = ANY ($1::oid[])`,
    [tables.map((table) => table.oid)],
  );
  const byOid = new Map(rows.map((row) => [row.oid, row]));
  const pieceBytes = parallel.pieceBytes ?? shapePieceBytes(rows.reduce((sum, row) => sum + row.size, 0), parallel.jobs);
  const canSplit = parallel.catalog.server.versionNum >= 140000;
  return tables.map((table, index) => {
    const { size, pages } = byOid.get(table.oid) ?? { size: 0, pages: 0 };
    const count = canSplit && splittable(table) ? Math.max(1, Math.min(pages, Math.ceil(size / pieceBytes))) : 1;
    return Array.from({ length: count }, (_, piece): Task => ({
      table: index,
      piece: {
        index: piece,
        count,
        fromPage: piece === 0 ? null : Math.floor((pages * piece) / count),
        toPage: piece === count - 1 ? null : Math.floor((pages * (piece + 1)) / count),
      },
      file: join(directory, `${index}-${piece}.gz`),
      outcome: deferred<PieceOutcome>(),
    }));
  });
}

/**
 * The piece size that keeps every job busy to the end whatever the tables' sizes: about four pieces
 * per job of all the data, so that no table (of 90 MB on a 0.3 GB database, as well as of 1 GB on a
 * 1.1 GB one) is left compressing on one core while the others are done. Not under 8 MiB (each piece
 * is a query, a gzip member and a temporary file), not over 128 MiB (what a worker holds on disk).
 */
export function shapePieceBytes(totalBytes: number, jobs: number): number {
  const mib = 1024 * 1024;
  return Math.min(128 * mib, Math.max(8 * mib, Math.ceil(totalBytes / (Math.max(1, jobs) * 4))));
}

/**
 * A SELECT needs at least one column; a table without any is tiny anyway. An extension's
 * configuration table (read through its condition) is copied whole: such tables are small. So is
 * a partition loaded through its root, whose rows are hashed as a set (RowSetHasher), not by piece.
 */
function splittable(table: DataTable): boolean {
  return table.columns.length > 0 && table.condition === undefined && table.loadViaRoot === undefined;
}

async function* readAndRemove(file: string): AsyncGenerator<Buffer> {
  // Large reads: each chunk is a write to the output (a thread-pool round trip) and a step of every stream between.
  for await (const chunk of createReadStream(file, { highWaterMark: 512 * 1024 }) as AsyncIterable<Buffer>) yield chunk;
  await rm(file, { force: true });
}

/** A table's manifest entry from its pieces (see table-hash.ts for how a pieced table is fingerprinted). */
function tableSummary(table: DataTable, pieces: PieceOutcome[]): TableSummary {
  return {
    ...emptyTableSummary(table),
    rows: pieces.reduce((sum, piece) => sum + piece.rows, 0),
    bytes: pieces.reduce((sum, piece) => sum + piece.bytes, 0),
    sha256: combinePieceDigests(pieces.map((piece) => Buffer.from(piece.sha256, 'hex'))),
    ...(pieces.length > 1 ? { pieceBytes: pieces.map((piece) => piece.bytes) } : {}),
  };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
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
