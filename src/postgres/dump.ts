import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import type { TableSummary } from './dump-manifest.ts';
import { UserError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { toolVersion } from '../version.ts';
import { readCatalog, type Catalog } from './schema.ts';
import { closeClient, describeServer } from './connection.ts';
import { DumpGuard } from './dump-guard.ts';
import { largeObjectData } from './large-object-data.ts';
import { parallelTableData } from './parallel-data.ts';
import { renderEntry, type DdlOptions, type Entry } from './ddl.ts';
import { IdentifierQuoter, commentSafe, quoteLiteral } from './quote.ts';
import { applyDumpSessionSettings, dumpGzip, emptyTableSummary, tableData, type DumpProgress } from './table-data.ts';
import { describeObject, inventoryObjects, unsupportedObjects, type InventoryObject } from './inventory.ts';
import { captureFingerprint, storeFingerprint, type StoredFingerprint } from './fingerprint.ts';
import { newestImmichMigration, notImmichReason } from './immich-migrations.ts';
import { halfRestoredMessage, restoreMarker } from './restore-marker.ts';
import { fsyncDirectory, fsyncFile, HashingCounter } from '../durable-files.ts';
import { throttleProgress } from '../progress.ts';

export interface DumpOptions {
  connection: pg.ClientConfig;
  /** Receives the gzip bytes. */
  output: NodeJS.WritableStream;
  /** Keep OWNER TO and GRANT/REVOKE; default false (restores as whichever role runs psql). */
  owner?: boolean;
  compressionLevel?: number;
  /** Connections copying table data at once, all in the same snapshot (default: two per core, at most 4). */
  jobs?: number;
  /** Where parallel workers keep their compressed tables until their turn (default: the OS temp folder). */
  tempDirectory?: string;
  /**
   * With jobs > 1, a table bigger than this on disk (TOAST included) is copied in page-range pieces
   * of about this size on several connections, so one huge table (Immich's embeddings) does not
   * leave the other cores idle. Default: from the database's shape, about four pieces per job of
   * all the data, 8 to 128 MiB (parallel-data.ts, shapePieceBytes).
   */
  tablePieceBytes?: number;
  /**
   * Write the dump even when the database holds objects this dump cannot write (they are then
   * listed in the result and logged as warnings). Default false: such a dump fails before writing.
   */
  allowUnsupported?: boolean;
  /**
   * Fail before writing anything when the database holds no Immich bookkeeping (a backup run's
   * dump: a backup of the wrong database must never count as good). Default false.
   */
  requireImmich?: boolean;
  /** How long to wait for the ACCESS SHARE locks before failing (ms); default 60 s. */
  lockTimeoutMs?: number;
  /** The whole dump must finish within this (ms; DUMP_TIMEOUT); default 6 h. */
  timeoutMs?: number;
  /** A wait of this long for the server (no answer, no COPY data) fails the dump (ms; DUMP_STALL_TIMEOUT); default 10 min. */
  stallTimeoutMs?: number;
  /** Cuts the dump's connections and fails it (SIGTERM). */
  signal?: AbortSignal;
  onProgress?: (progress: DumpProgress) => void;
  log?: Logger;
}

export interface DumpResult {
  serverVersion: string;
  serverVersionNum: number;
  database: string;
  tables: TableSummary[];
  /** Objects in the database that the dump did not write (only with allowUnsupported). */
  unsupportedObjects: InventoryObject[];
  /** Every object the dump wrote with all its catalog properties, read in the dump's snapshot (for manifest.json; verify compares it). */
  fingerprint: StoredFingerprint;
  objectCount: number;
  /** The newest row of Immich's kysely_migrations, read in the dump's snapshot (null: no such table). */
  immichMigration: string | null;
  uncompressedBytes: number;
  compressedBytes: number;
  startedAt: Date;
  finishedAt: Date;
}

export const defaultCompressionLevel = 6;

/**
 * Table data is copied on this many connections at once by default: two per core, at most 4. A
 * connection's stream spends part of its time waiting (for the server, or for its gzip work on the
 * thread pool), so one per core leaves the cores idle: on 2 cores, 2, 3, 4 and 6 jobs took 85, 75,
 * 68 and 74 s on the 1 GB benchmark database.
 */
export function defaultJobs(): number {
  return Math.min(4, 2 * Math.max(1, availableParallelism()));
}

async function* concat<T>(...sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  for (const source of sources) yield* source;
}

const progressIntervalMs = 2000;

/**
 * Writes a plain-SQL dump equivalent to `pg_dump --clean --if-exists` of the connected database,
 * gzip-compressed, to `options.output`. Everything is read in one REPEATABLE READ, READ ONLY
 * transaction with ACCESS SHARE locks on every table, so Immich can keep running and no DDL can
 * slip in between reading the catalogs and copying the data.
 */
export async function dumpDatabase(options: DumpOptions): Promise<DumpResult> {
  const startedAt = new Date();
  // Every connection of the dump is cut when the caller aborts, the deadline passes or the server stalls.
  const guard = new DumpGuard({
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  let client: pg.Client | undefined;
  try {
    client = await guard.open(options.connection, 'immich-backup dump');
    const catalog = await guard.waitFor('the catalogs', beginSnapshot(client, options));
    // A restore-db that died part-way left its mark (see restoreMarkerSetting): what this snapshot
    // would hold is half a restore, which must not pass for a backup.
    const marker = await guard.waitFor('the catalogs', restoreMarker(client));
    if (marker !== undefined) throw new UserError(halfRestoredMessage(catalog.server.database, describeServer(options.connection), marker));
    const immichMigration = await newestImmichMigration(client);
    if (options.requireImmich === true) {
      const reason = await notImmichReason(client, immichMigration, { database: catalog.server.database, server: describeServer(options.connection) });
      if (reason !== undefined) throw new UserError(reason);
    }
    // Objects in a dependency loop the dump cannot break (pg_dump splits some of these; we don't yet).
    const inLoops = catalog.loops.map((entry): InventoryObject => {
      const [catalogName, oid] = entry.id.split(':');
      return { kind: entry.type.toLowerCase(), schema: entry.schema, name: entry.name, reason: 'in a dependency loop', catalog: catalogName, oid: Number(oid) };
    });
    const unsupported = await guard.waitFor(
      'the catalogs',
      inventoryObjects(client).then((objects) => unsupportedObjects(client!, objects, { alsoUnsupported: inLoops })),
    );
    if (unsupported.length > 0) {
      const names = unsupported.map(describeObject);
      if (!(options.allowUnsupported ?? false)) {
        throw new UserError(
          `nothing was written: the database has ${unsupported.length} object(s) this dump cannot write yet: ${names.join(', ')}. ` +
            'Run with --allow-unsupported (DUMP_ALLOW_UNSUPPORTED=true) to back up everything else without them.',
        );
      }
      for (const name of names) options.log?.warn({ object: name }, 'not in the dump: this kind of object is not supported yet');
      leaveOut(catalog, unsupported);
    }
    // In the dump's snapshot, before any row is copied: the description of what this dump must restore.
    const fingerprint = await storeFingerprint(
      await guard.waitFor('the catalog fingerprint', captureFingerprint(client, { owner: options.owner ?? false, exclude: unsupported })),
    );
    const quoter = new IdentifierQuoter(catalog.server.reservedKeywords);
    const ddlOptions: DdlOptions = { owner: options.owner ?? false };

    let uncompressedBytes = 0;
    let compressedBytes = 0;
    const level = options.compressionLevel ?? defaultCompressionLevel;
    const jobs = Math.max(1, Math.trunc(options.jobs ?? defaultJobs()));
    const countCompressed = new PassThrough();
    countCompressed.on('data', (chunk: Buffer) => {
      compressedBytes += chunk.length;
    });
    const tables: TableSummary[] = [];
    const parts: ScriptParts = { client, catalog, quoter, ddlOptions, options, guard };
    const counted = async function* (source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
      for await (const piece of source) {
        uncompressedBytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
        yield piece;
      }
    };
    // Even one table is worth workers: a big one is copied in pieces.
    const useWorkers = jobs > 1 && catalog.dataTables.length > 0;
    const snapshot = useWorkers
      ? (await guard.waitFor('the snapshot', client.query<{ id: string }>('SELECT pg_catalog.pg_export_snapshot() AS id'))).rows[0]!.id
      : '';
    // The script is a series of gzip members (gunzip reads them as one stream): with workers, each
    // table (or piece of a big table) is compressed on its own connection, in its own member, and
    // the members are joined in pg_dump's order. Every member is one streaming deflate: no block
    // of data is ever held whole, so memory stays flat.
    const gzipped = (source: AsyncIterable<Buffer | string>): AsyncIterable<Buffer> => Readable.from(source).compose(dumpGzip(level));
    async function* compressed(): AsyncGenerator<Buffer> {
      if (!useWorkers) {
        yield* gzipped(counted(concat(scriptHead(parts), sequentialData(parts, tables), scriptTail(parts))));
        return;
      }
      yield* gzipped(counted(scriptHead(parts)));
      for await (const member of parallelTableData({ ...parts, snapshot, jobs, level, tempDirectory: options.tempDirectory, pieceBytes: options.tablePieceBytes })) {
        uncompressedBytes += member.uncompressedBytes;
        yield* member.chunks;
        if (member.table !== undefined) tables.push(member.table);
      }
      yield* gzipped(counted(scriptTail(parts)));
    }
    await pipeline(compressed, countCompressed, options.output, { signal: guard.signal, end: options.output !== process.stdout });
    await guard.waitFor('the end of the transaction', client.query('COMMIT'));
    return {
      serverVersion: catalog.server.version,
      serverVersionNum: catalog.server.versionNum,
      database: catalog.server.database,
      tables,
      unsupportedObjects: unsupported,
      fingerprint,
      objectCount: catalog.entries.length,
      immichMigration,
      uncompressedBytes,
      compressedBytes,
      startedAt,
      finishedAt: new Date(),
    };
  } catch (error) {
    throw asDumpError(guard.reason(error));
  } finally {
    guard.dispose();
    if (client !== undefined) await closeClient(client);
  }
}

/**
 * With --allow-unsupported, unsupported objects (and what depends on them) are left out of the
 * script entirely, rather than written in a shape that fails or differs on restore.
 */
function leaveOut(catalog: Catalog, unsupported: InventoryObject[]): void {
  const excluded = new Set(unsupported.filter((o) => o.catalog !== undefined).map((o) => `${o.catalog}:${o.oid}`));
  // Entries that exist only for a relation (its ATTACH, OWNED BY, RLS switch, REFRESH...) or a
  // constraint (a partition's key attached to its parent's) go with it.
  const isExcluded = (id: string) => {
    if (excluded.has(id)) return true;
    const [prefix, oid] = id.split(':');
    const catalog = prefix === undefined ? undefined : derivedEntryPrefixes.get(prefix);
    return catalog !== undefined && excluded.has(`${catalog}:${oid}`);
  };
  catalog.entries = catalog.entries.filter((entry) => !isExcluded(entry.id));
  catalog.dataTables = catalog.dataTables.filter((table) => !excluded.has(`pg_class:${table.oid}`));
  catalog.sequences = catalog.sequences.filter((sequence) => !excluded.has(`pg_class:${sequence.oid}`));
  catalog.largeObjects = catalog.largeObjects.filter((largeObject) => !excluded.has(`pg_largeobject:${largeObject.oid}`));
}

const derivedEntryPrefixes = new Map([
  ...['row-security', 'attach', 'owned-by', 'refresh', 'index-attach', 'view-default', 'validate', 'column-default'].map((prefix) => [prefix, 'pg_class'] as const),
  ['key-attach', 'pg_constraint'],
  // A base type's shell (CREATE TYPE t;) goes with the type.
  ['shell-type', 'pg_type'],
]);

function asDumpError(error: unknown): unknown {
  if (error instanceof UserError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return new UserError('dump failed: no space left on the output device', { cause: error });
  return new UserError(`dump failed: ${errorMessage(error)}`, { cause: error });
}

async function beginSnapshot(client: pg.Client, options: DumpOptions): Promise<Catalog> {
  await applyDumpSessionSettings(client);
  const { rows } = await client.query<{ num: string; restrict: boolean }>(
    `SELECT pg_catalog.current_setting('server_version_num') AS num,
            EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = 'restrict_nonsystem_relation_kind') AS restrict`,
  );
  if (Number(rows[0]!.num) >= 170000) await client.query('SET transaction_timeout = 0');
  if (rows[0]!.restrict) {
    await client.query(`SELECT pg_catalog.set_config('restrict_nonsystem_relation_kind', 'view, foreign-table', false)`);
  }
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  const tables = await client.query<{ name: string }>(
    `SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
      ORDER BY 1`,
  );
  // The pg_get_*def helpers read the live catalogs, not the snapshot: only these locks keep DDL out until we are done.
  await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(options.lockTimeoutMs ?? 60_000))}`);
  const names = tables.rows.map((row) => row.name);
  for (let start = 0; start < names.length; start += 500) {
    try {
      await client.query(`LOCK TABLE ${names.slice(start, start + 500).join(', ')} IN ACCESS SHARE MODE`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42501') {
        // LOCK needs SELECT: say which table and what to grant, not "is a migration running?".
        const table = /permission denied for (?:table|relation) (\S+)/.exec(errorMessage(error))?.[1] ?? 'one of the tables';
        throw new UserError(`permission denied for table ${table}: the database user needs SELECT on every table (or be the owner)`, { cause: error });
      }
      if (code !== '55P03') throw error;
      throw new UserError(`cannot lock the tables for a consistent dump (is a migration running?): ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  await client.query('SET LOCAL lock_timeout = 0');
  return readCatalog(client, { owner: options.owner ?? false });
}

function preamble(catalog: Catalog): string {
  const lines = [
    '--',
    '-- PostgreSQL database dump',
    '--',
    '',
    `-- Dumped from database version ${commentSafe(catalog.server.version)}`,
    `-- Dumped by immich-backup ${toolVersion} (native dump; restore with: gunzip < dump.sql.gz | psql)`,
    '',
    'SET statement_timeout = 0;',
    'SET lock_timeout = 0;',
    'SET idle_in_transaction_session_timeout = 0;',
  ];
  // A <= 16 server rejects this setting, which would stop a restore under ON_ERROR_STOP.
  if (catalog.server.versionNum >= 170000) lines.push('SET transaction_timeout = 0;');
  lines.push(
    "SET client_encoding = 'UTF8';",
    'SET standard_conforming_strings = on;',
    "SELECT pg_catalog.set_config('search_path', '', false);",
    'SET check_function_bodies = false;',
    'SET xmloption = content;',
    'SET client_min_messages = warning;',
    'SET row_security = off;',
    '',
  );
  return `${lines.join('\n')}\n`;
}

interface ScriptParts {
  client: pg.ClientBase;
  catalog: Catalog;
  quoter: IdentifierQuoter;
  ddlOptions: DdlOptions;
  options: DumpOptions;
  guard: DumpGuard;
}

/** Preamble, the --clean DROP list and every pre-data entry. */
async function* scriptHead({ catalog, ddlOptions, options }: ScriptParts): AsyncGenerator<string> {
  options.onProgress?.({ phase: 'schema', tablesDone: 0, tablesTotal: catalog.dataTables.length, rows: 0, bytes: 0 });
  yield preamble(catalog);
  // --clean --if-exists: drop what this script creates, in reverse order, before creating anything.
  const drops = [...catalog.entries]
    .reverse()
    .map((entry) => entry.drop)
    .filter((drop): drop is string => drop !== null);
  if (drops.length > 0) yield `${drops.join('\n')}\n`;
  for (const entry of catalog.entries.filter((e) => e.section === 'pre-data')) yield renderEntry(entry, ddlOptions);
}

/** Every table's data, one after the other on the leader's connection (jobs = 1). */
async function* sequentialData(parts: ScriptParts, tables: TableSummary[]): AsyncGenerator<Buffer | string> {
  const { client, catalog, quoter, ddlOptions, options, guard } = parts;
  let rowsTotal = 0;
  let bytesTotal = 0;
  const report = throttleProgress(progressIntervalMs, (progress: DumpProgress) => options.onProgress?.(progress));
  for (const [index, table] of catalog.dataTables.entries()) {
    const summary = emptyTableSummary(table);
    const progress = (tablesDone: number, rows: number, bytes: number): DumpProgress => ({ phase: 'data', table: `${table.schema}.${table.name}`, tablesDone, tablesTotal: catalog.dataTables.length, rows, bytes });
    yield* tableData(client, table, quoter, ddlOptions, summary, { guard, onChunk: () => report(progress(index, rowsTotal + summary.rows, bytesTotal + summary.bytes)) });
    rowsTotal += summary.rows;
    bytesTotal += summary.bytes;
    tables.push(summary);
    report.flush(progress(index + 1, rowsTotal, bytesTotal));
  }
}

/** setval for every sequence, the large objects' contents, the post-data entries, the final pass and the trailer. */
async function* scriptTail({ client, catalog, quoter, ddlOptions, options, guard }: ScriptParts): AsyncGenerator<string> {
  const setvals: string[] = [];
  for (const sequence of catalog.sequences) {
    const name = quoter.qualified(sequence.schema, sequence.name);
    const { rows } = await guard.waitFor(`sequence ${sequence.schema}.${sequence.name}`, client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM ${name}`));
    const row = rows[0]!;
    setvals.push(
      `--\n-- Name: ${commentSafe(sequence.name)}; Type: SEQUENCE SET; Schema: ${commentSafe(sequence.schema)}; Owner: -\n--\n\n` +
        `SELECT pg_catalog.setval(${quoteLiteral(name)}, ${row.last_value}, ${row.is_called});\n\n`,
    );
  }
  if (setvals.length > 0) yield setvals.join('');
  // Large objects' contents end the data section, as in pg_dump.
  yield* largeObjectData(client, catalog.largeObjects, guard);
  options.onProgress?.({ phase: 'post-data', tablesDone: catalog.dataTables.length, tablesTotal: catalog.dataTables.length, rows: 0, bytes: 0 });
  for (const entry of catalog.entries.filter((e) => e.section === 'post-data')) yield renderEntry(entry, ddlOptions);
  for (const entry of catalog.entries.filter((e) => e.section === 'final')) yield renderEntry(entry, ddlOptions);
  yield '--\n-- PostgreSQL database dump complete\n--\n\n';
}

export interface DumpFileResult extends DumpResult {
  path: string;
  size: number;
  sha256: string;
}

/**
 * Dumps into `path` safely: the bytes go to `path.partial`, which is fsynced and renamed only when
 * the dump completed, so a file under the final name is always a whole dump. Any failure removes
 * the partial file.
 */
export async function dumpToFile(options: Omit<DumpOptions, 'output'> & { path: string }): Promise<DumpFileResult> {
  const partial = `${options.path}.partial`;
  const hashing = new HashingCounter();
  let file: ReturnType<typeof createWriteStream>;
  try {
    file = createWriteStream(partial, { mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      file.once('open', () => resolve());
      file.once('error', reject);
    });
  } catch (error) {
    throw new UserError(`cannot write the dump to ${partial}: ${errorMessage(error)}`, { cause: error });
  }
  try {
    const done = pipeline(hashing, file);
    // If the dump fails first, this pipeline fails too (premature close): the dump's error is the one to report.
    done.catch(() => undefined);
    const result = await dumpDatabase({ tempDirectory: dirname(options.path), ...options, output: hashing });
    await done;
    await fsyncFile(partial);
    await rename(partial, options.path);
    await fsyncDirectory(dirname(options.path));
    return { ...result, path: options.path, size: hashing.bytes, sha256: hashing.sha256() };
  } catch (error) {
    hashing.destroy();
    file.destroy();
    await rm(partial, { force: true });
    // asDumpError has made it a UserError by now: the full disk is its cause's code.
    if ([error, (error as { cause?: unknown }).cause].some((e) => (e as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC')) {
      throw new UserError(`dump failed: no space left on the device holding ${options.path}`, { cause: error });
    }
    throw error;
  }
}

export type { DumpProgress, Entry };
