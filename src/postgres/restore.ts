import { availableParallelism } from 'node:os';
import { createReadStream } from 'node:fs';
import { Duplex, Readable, pipeline as pipelineStreams } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { UserError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { throttleProgress } from '../progress.ts';
import { DumpInputError, WatchedDumpInput, checkDumpInput, readChunkBytes } from './dump-input.ts';
import { closeClient, describeServer, openClient } from './connection.ts';
import { withServerNamed } from './connection-loss.ts';
import { readScript } from './script-reader.ts';
import { clearRestoreMarker, clearRestoreMarkerSql, markRestoreInProgress, restoreMarker } from './restore-marker.ts';
import { ParallelRestore, ParallelTaskError, copyTable, identifierName, isSessionSetting, parallelDdlTables, transactionAfter } from './parallel-restore.ts';

/** COPY data is loaded in pieces of about this size, each in its own transaction on a worker. */
const restorePieceBytes = 8 * 1024 * 1024;
/** Index builds on a worker get at least this much maintenance_work_mem (kB): pg's default 64 MB sorts big indexes on disk. */
const restoreMaintenanceWorkMemKb = 128 * 1024;

export interface RestoreOptions {
  connection: pg.ClientConfig;
  /** A .sql.gz or .sql file: our dump, or a plain pg_dump / pg_dumpall dump of one database. */
  input: string;
  /** Restore over a database that already has tables: its schemas are dropped and recreated first. */
  clean?: boolean;
  /**
   * One transaction: a failure leaves the target exactly as it was. Defaults to true with `clean`
   * (dropping and restoring are all or nothing), false otherwise; false with `clean` must be asked for.
   */
  singleTransaction?: boolean;
  /**
   * Connections restoring at once (table data in pieces, then indexes and key constraints), like
   * `pg_restore -j`. Only without a single transaction; default: defaultRestoreJobs().
   */
  jobs?: number;
  /**
   * Skip the script's `ALTER ... OWNER TO role` statements (pg_restore --no-owner): the objects stay
   * the restoring user's. For a pg_dump made with owners (Immich's own dumps) restored where that
   * role does not exist (a new stack with another DB_USERNAME).
   */
  noOwner?: boolean;
  /** With jobs > 1, COPY data is loaded in pieces of about this size (default 8 MiB); small in tests. */
  pieceBytes?: number;
  signal?: AbortSignal;
  log?: Logger;
  onProgress?: (progress: RestoreProgress) => void;
}

export interface RestoreProgress {
  bytesRead: number;
  totalBytes: number;
  statements: number;
  table?: string;
}

export interface RestoreResult {
  statements: number;
  copiedRows: number;
  tables: number;
  checkedAgainstManifest: boolean;
  durationMs: number;
  /** With jobs > 1: COPY pieces and index/constraint statements run on workers, and the most at once. */
  parallel?: { pieces: number; ddl: number; mostAtOnce: number };
  /** With noOwner: the ownership statements skipped, the roles they named, and who owns the objects instead. */
  ownersSkipped?: { statements: number; roles: string[]; restoringUser: string };
}

const progressIntervalMs = 5000;

/** Number of tables in the database's own schemas (extension members excluded). */
export async function countUserTables(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e')`,
  );
  return Number(rows[0]!.n);
}

/**
 * A dump restores into the server version it came from or a newer one, as pg_dump's: its SQL may
 * use what an older server lacks (18's NOT NULL constraints, 17's MAINTAIN, settings), and would
 * fail part-way. So a dump from a newer major version is refused before anything is touched.
 */
async function refuseOlderServer(client: pg.ClientBase, sourceMajor: number | undefined, input: string, database: string): Promise<void> {
  // Versions before 10 had two-part majors (9.6): no such source is supported, nor any such target.
  if (sourceMajor === undefined || sourceMajor < 10) return;
  const { rows } = await client.query<{ num: string }>(`SELECT pg_catalog.current_setting('server_version_num') AS num`);
  const targetMajor = Math.trunc(Number(rows[0]!.num) / 10000);
  if (sourceMajor <= targetMajor) return;
  throw new UserError(
    `${input} was dumped from PostgreSQL ${sourceMajor} and database ${database} runs PostgreSQL ${targetMajor}: a dump restores into ` +
      `the same or a newer PostgreSQL version only; nothing was restored. Restore it into a PostgreSQL ${sourceMajor} (or newer) server`,
  );
}

/** Application name of restore-db's connections (leader, workers): a backup run looks for them. */
const restoreApplicationName = 'immich-backup restore';

/**
 * Restoring over a database that others are still connected to (Immich not stopped) is refused
 * before anything is touched: an open transaction of theirs holds back the DROPs for as long as it
 * lasts (the restore would wait with no limit), and a connection without one would write into
 * the database while it is being replaced. This restore's own connections (e.g. one still closing)
 * do not count; a backup run's dump does, as its snapshot's locks hold the DROPs back until it ends.
 */
async function refuseOtherConnections(client: pg.ClientBase, database: string): Promise<void> {
  const { rows } = await client.query<{ name: string; n: number }>(
    `SELECT coalesce(nullif(application_name, ''), usename::text, 'unnamed') AS name, count(*)::int AS n
       FROM pg_catalog.pg_stat_activity
      WHERE datname = pg_catalog.current_database() AND pid <> pg_catalog.pg_backend_pid()
        AND backend_type = 'client backend' AND application_name NOT LIKE $1
      GROUP BY 1 ORDER BY 1`,
    [`${restoreApplicationName}%`],
  );
  const total = rows.reduce((sum, row) => sum + row.n, 0);
  if (total === 0) return;
  const names = rows.map((row) => (row.n > 1 ? `${row.name} ×${row.n}` : row.name)).join(', ');
  // A backup run's dump holds every table's lock until it ends: the DROPs would wait that long, unsaid.
  const dumping = rows.some((row) => row.name.startsWith('immich-backup dump'))
    ? '; a backup run is dumping it: wait for it to end (immich-backup status)'
    : '';
  throw new UserError(
    `database ${database} has ${total} other connection(s) (${names}): nothing was restored. Stop Immich first ` +
      `(docker compose stop immich-server immich-machine-learning) and close the other connections, then restore again${dumping}`,
  );
}

/** How long a backup run's look for a restore in progress may take. */
const restoreCheckTimeoutMs = 10_000;

/**
 * The connections of a restore-db restoring into the database `connection` names right now (0:
 * none). What a dump would see of such a database is half of a restore (its pieces commit as they
 * load), which must not pass for a backup. Undefined when it cannot be asked (the dump then says why).
 */
export async function restoreConnectionsInto(connection: pg.ClientConfig, options: { signal?: AbortSignal } = {}): Promise<number | undefined> {
  // A look before the dump, bounded whole: a server that does not answer is the dump's to report, with its own limits.
  const limit = AbortSignal.timeout(restoreCheckTimeoutMs);
  const signal = options.signal === undefined ? limit : AbortSignal.any([options.signal, limit]);
  const connectTimeout = Math.min(connection.connectionTimeoutMillis ?? restoreCheckTimeoutMs, restoreCheckTimeoutMs);
  try {
    const client = await openClient({ ...connection, connectionTimeoutMillis: connectTimeout }, { applicationName: 'immich-backup backup check', signal });
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity
          WHERE datname = pg_catalog.current_database() AND pid <> pg_catalog.pg_backend_pid() AND application_name LIKE $1`,
        [`${restoreApplicationName}%`],
      );
      return rows[0]!.n;
    } finally {
      await closeClient(client);
    }
  } catch {
    return undefined;
  }
}

/**
 * Restore connections by default: one per core, at most 4. Unlike the dump's connections, which wait
 * on their gzip work, each restore connection keeps a server backend busy parsing COPY text: more of
 * them than cores only share the cores and contend (immich_x1 on 2 cores, bench:restore: 4 jobs 17.6 s
 * with 26.4 s of server CPU, 2 jobs 16.6 s with 24.3 s; psql 23.8 s).
 */
export function defaultRestoreJobs(): number {
  return Math.min(4, Math.max(1, availableParallelism()));
}

/**
 * Restores a plain SQL dump by streaming it through the `pg` driver: statements are executed one
 * by one, COPY blocks are streamed into the server with pg-copy-streams. The first error stops
 * the restore and names the statement's line.
 */
export async function restoreDatabase(options: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  // What the input's first bytes tell is refused before the database is even connected to.
  const input = await WatchedDumpInput.open(options.input, options.signal);
  const singleTransaction = options.singleTransaction ?? options.clean ?? false;
  const jobs = singleTransaction ? 1 : Math.max(1, Math.trunc(options.jobs ?? defaultRestoreJobs()));
  // Connect timeout (DB_CONNECT_TIMEOUT), and SIGTERM cuts the connection in any phase.
  const client = await openClient(options.connection, {
    applicationName: restoreApplicationName,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const { db: database, user: restoringUser } = (
    await client.query<{ db: string; user: string }>('SELECT pg_catalog.current_database() AS db, CURRENT_USER AS user')
  ).rows[0]!;
  const ownersSkipped = { statements: 0, roles: new Set<string>() };
  let inTransaction = false;
  let dropped: string[] = [];
  let statements = 0;
  /** Set when the input is checked in the same read as the restore (into an empty target), not before it. */
  let watched: WatchedDumpInput | undefined;
  let checkedAgainstManifest = false;
  let parallel: ParallelRestore | undefined;
  /** This restore marked the database as being restored (see restoreMarkerSetting). */
  let marked = false;
  /** The target was empty: until a statement runs, a failure leaves it as it was. */
  let emptyTarget = false;
  // A stop (SIGTERM, Ctrl-C) cuts the connections: the cut is not the reason, the stop is.
  const failure = (error: unknown): string =>
    options.signal?.aborted === true ? errorMessage(options.signal.reason) : errorMessage(withServerNamed(error, describeServer(options.connection)));
  /** The error of the statement at `line`, or of the worker task that failed first. */
  const failedAt = (error: unknown, line: number, sql: string): UserError => {
    if (error instanceof ParallelTaskError) {
      if (error.failure.sql === '') error = error.failure.error;
      else return failedAt(error.failure.error, error.failure.line, error.failure.sql);
    }
    if (error instanceof UserError && options.signal?.aborted !== true) return error;
    const excerpt = redactSecrets(sql).trim().replace(/\s+/g, ' ').slice(0, 120);
    const message = failure(error);
    const where = sql === '' ? '' : ` at line ${line} (${excerpt})`;
    const owner = ownerChangeRole(sql);
    const missingOwner =
      owner !== undefined && (error as { code?: unknown } | undefined)?.code === '42704'
        ? `; the dump gives its objects to role ${owner}, which this server does not have: restore with --no-owner (they then belong to ${restoringUser}), or create the role first`
        : '';
    const extension = /^\s*CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[^\s;]+)/i.exec(sql)?.[1];
    const extensionNeedsSuperuser =
      extension !== undefined && (error as { code?: unknown } | undefined)?.code === '42501'
        ? `; creating extension ${extension.replace(/^"|"$/g, '')} needs a superuser${dropped.length > 0 ? ", and --clean dropped the target's with its schema" : ''}: ` +
          'restore as the superuser (the postgres container\'s POSTGRES_USER, e.g. with DB_USERNAME/DB_PASSWORD or DB_URL set for this command) ' +
          'or into a new database where a superuser created the extensions first, without --clean'
        : '';
    return new UserError(`restore failed${where}: ${message}${partlyRestored()}${missingOwner}${extensionNeedsSuperuser}`, { cause: error });
  };
  let partlyRestored = () =>
    dropped.length > 0 ? ` (--clean without a transaction already dropped schema(s) ${dropped.join(', ')}: the database is partly restored)` : '';
  try {
    await refuseOlderServer(client, input.sourceMajor, options.input, database);
    const tables = await countUserTables(client);
    // Large objects are contents too, outside every schema: the script would replace those with the dump's OIDs.
    const { rows: objectCount } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_catalog.pg_largeobject_metadata');
    const largeObjects = Number(objectCount[0]!.n);
    const occupied = tables > 0 || largeObjects > 0;
    emptyTarget = !occupied;
    if (occupied && !(options.clean ?? false)) {
      const holds = [...(tables > 0 ? [`${tables} table(s)`] : []), ...(largeObjects > 0 ? [`${largeObjects} large object(s)`] : [])].join(' and ');
      throw new UserError(
        `database ${database} already holds ${holds}: nothing was restored. Use --clean to replace its contents, or restore into an empty database`,
      );
    }
    if (occupied) {
      await refuseOtherConnections(client, database);
      // --clean over a database with contents: the whole input is proven restorable before anything is dropped.
      checkedAgainstManifest = (await checkDumpInput(options.input, options.signal)).checkedAgainstManifest;
    } else {
      // An empty target has nothing to lose: the input is checked in the same read that restores it
      // (gzip checksums, manifest sha256, the script's last line), and a bad one fails the restore
      // loudly at the end, naming the target as incomplete. A separate read first cost a fifth of the time.
      watched = input;
    }
    const totalBytes = input.size;
    const file = createReadStream(options.input, { highWaterMark: readChunkBytes });
    const bytesRead = () => file.bytesRead;
    const stages: Duplex[] = [...(watched?.fileStages ?? [])];
    if (input.compressed) stages.push(createGunzip({ chunkSize: readChunkBytes }));
    if (watched !== undefined) stages.push(watched.scriptText);
    // A read or gunzip error destroys the whole chain and surfaces in the reader's loop.
    const text: Readable = stages.length === 0 ? file : (pipelineStreams([file, ...stages], () => undefined) as Duplex);

    // Without one transaction every piece commits as it goes: the mark tells a backup run the database
    // is half-restored if this process dies before the end. One transaction needs none: a failure rolls back.
    if (!singleTransaction) marked = await markRestoreInProgress(client, database, restoringUser, options.log);
    if (singleTransaction) {
      await client.query('BEGIN');
      inTransaction = true;
    }
    if ((options.clean ?? false) && occupied) dropped = await dropUserSchemas(client, options.log);

    partlyRestored = () => {
      if (singleTransaction) return ' (rolled back: the database is as it was)';
      const droppedNote = dropped.length > 0 ? `; --clean without a transaction had dropped schema(s) ${dropped.join(', ')}` : '';
      return statements > 0 || dropped.length > 0
        ? ` (${statements} statements had already run${droppedNote}: the database is partly restored; restore again with --clean, without --no-single-transaction to make it all or nothing)`
        : '';
    };
    let copiedRows = 0;
    let copies = 0;
    let scriptTransaction = false;
    parallel =
      jobs > 1
        ? new ParallelRestore({
            jobs,
            pieceBytes: options.pieceBytes ?? restorePieceBytes,
            // Rows read but not yet sent to the server: one piece, 8 MiB (the reader is several times
            // faster than a connection loads, and the sockets hold more, so a little read-ahead keeps
            // them all busy; on the 1 GB benchmark dump 32 MiB peaked at 201 MiB RSS, 16 MiB at 182
            // MiB, in the same time). Less is less CPU too: chunks that wait long outlive young-generation
            // collections and only full ones free them (8 instead of 16 MiB: restore-db's CPU on
            // immich_mid 0.91 -> 0.77 s, immich_x1 6.3 -> 5.7 s; RSS 170 -> 152 and 170 -> 158 MiB).
            bufferBytes: options.pieceBytes ?? restorePieceBytes,
            connect: () =>
              openClient(options.connection, {
                applicationName: `${restoreApplicationName} worker`,
                ...(options.signal === undefined ? {} : { signal: options.signal }),
                ...(options.log === undefined ? {} : { log: options.log }),
              }),
            onFewerJobs: (fewer, error) => options.log?.warn({ jobs: fewer, err: errorMessage(error) }, 'a restore worker could not connect: going on with fewer connections'),
            workerSetup: [
              `SELECT pg_catalog.set_config('maintenance_work_mem', GREATEST(pg_catalog.pg_size_bytes(pg_catalog.current_setting('maintenance_work_mem')) / 1024, ${restoreMaintenanceWorkMemKb})::text || 'kB', false)`,
            ],
          })
        : undefined;
    let table: string | undefined;
    let foreignKeysNoted = false;
    const report = throttleProgress<void>(progressIntervalMs, () => {
      const progress = { bytesRead: bytesRead(), totalBytes, statements, ...(table === undefined ? {} : { table }) };
      options.onProgress?.(progress);
      options.log?.info(progress, 'restore progress');
    });
    // A big table is most of a restore: progress is reported while its data flows too.
    const withProgress = async function* (data: AsyncIterable<Buffer>) {
      for await (const batch of data) {
        yield batch;
        report();
      }
    };
    for await (const item of readScript(text)) {
      options.signal?.throwIfAborted();
      try {
        if (item.kind === 'meta') {
          handleMetaCommand(item.command, item.args, item.line, database);
          continue;
        }
        const skippedOwner = options.noOwner === true && item.kind === 'statement' ? ownerChangeRole(item.sql) : undefined;
        if (skippedOwner !== undefined) {
          ownersSkipped.statements += 1;
          ownersSkipped.roles.add(skippedOwner);
          continue;
        }
        if (inTransaction && item.kind === 'statement' && opensOrCommits(item.sql)) {
          // The script's own BEGIN/COMMIT (pg_dump's around large objects' contents) would end the
          // restore's one transaction early, as it does under psql --single-transaction: the
          // statements between are in that transaction already.
          statements += 1;
          continue;
        }
        // Inside a transaction the script opened itself (BEGIN ... COMMIT), what it does is not visible
        // to other connections yet: everything stays on the leader until it ends.
        const dispatch = parallel !== undefined && !scriptTransaction;
        const parallelCopyTable = item.kind === 'copy' && dispatch ? copyTable(item.sql) : undefined;
        const parallelTables = item.kind === 'statement' && dispatch ? parallelDdlTables(item.sql) : undefined;
        if (item.kind === 'copy' && parallel !== undefined && parallelCopyTable !== undefined) {
          // Once per run of COPYs (the data section): the keys the statements before have made.
          if (!foreignKeysNoted) parallel.noteForeignKeys(await existingForeignKeys(client));
          foreignKeysNoted = true;
          table = parallelCopyTable;
          await parallel.submitCopy(item.sql, parallelCopyTable, item.line, item.data, report);
          copies += 1;
        } else if (parallel !== undefined && parallelTables !== undefined) {
          await parallel.submitDdl(item.sql, parallelTables, item.line);
        } else if (item.kind === 'copy') {
          await parallel?.barrier();
          table = /^\s*COPY\s+(\S+)/i.exec(item.sql)?.[1];
          const stream = client.query(copyFrom(item.sql));
          await pipeline(Readable.from(withProgress(item.data)), stream);
          copiedRows += stream.rowCount ?? 0;
          copies += 1;
        } else {
          // Everything else runs in the script's order, once what was started before it is done.
          await parallel?.barrier();
          await client.query(item.sql);
          foreignKeysNoted = false;
          if (isSessionSetting(item.sql)) parallel?.recordSetting(item.sql);
          parallel?.notePartition(item.sql);
          if (parallel !== undefined) scriptTransaction = transactionAfter(item.sql, scriptTransaction);
        }
        statements += 1;
        report();
      } catch (error) {
        throw failedAt(error, item.line, item.kind === 'meta' ? `\\${item.command}` : item.sql);
      }
    }
    // The whole file went through: a bad one fails now, before the last index builds are waited for.
    if (watched !== undefined) checkedAgainstManifest = watched.verdict().checkedAgainstManifest;
    try {
      await parallel?.barrier();
    } catch (error) {
      throw failedAt(error, 0, '');
    }
    if (parallel !== undefined) copiedRows += parallel.copiedRows;
    if (statements === 0) throw new UserError(`${options.input} holds no SQL statements: it is not a database dump; nothing was restored`);
    if (inTransaction) {
      await client.query('COMMIT');
      inTransaction = false;
    }
    // All data, indexes and constraints are in, the input checked to its end: only now is the database
    // whole. A mark left by an earlier restore that died (this one over it with --clean) goes too.
    if (marked || (await restoreMarker(client)) !== undefined) await clearRestoreMarker(client, database);
    return {
      statements,
      copiedRows,
      tables: copies,
      checkedAgainstManifest,
      durationMs: Date.now() - started,
      ...(parallel === undefined ? {} : { parallel: { ...parallel.stats } }),
      ...(options.noOwner === true ? { ownersSkipped: { statements: ownersSkipped.statements, roles: [...ownersSkipped.roles].sort(), restoringUser } } : {}),
    };
  } catch (error) {
    if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
    // Into an empty target, a failure before anything ran left it as it was: no mark to keep.
    const untouched = emptyTarget && statements === 0 && (parallel?.stats.pieces ?? 0) === 0;
    if (marked && untouched && options.signal?.aborted !== true) {
      await client.query(clearRestoreMarkerSql(database)).catch(() => undefined);
    }
    if (watched !== undefined && options.signal?.aborted !== true) {
      // The input was still being checked: if it is to blame, that is what must be said.
      // A piece of the first COPY may have been loaded (and committed) before the statement counts.
      const anythingRan = statements > 0 || (parallel?.stats.pieces ?? 0) > 0;
      await parallel?.close();
      parallel = undefined;
      const problem = error instanceof DumpInputError ? error : await watched.problem(options.signal);
      if (problem !== undefined) throw damagedInputError(problem, database, singleTransaction || !anythingRan, singleTransaction, statements, error);
    }
    if (error instanceof UserError) throw error;
    throw new UserError(`restore failed: ${failure(error)}${partlyRestored()}`, { cause: error });
  } finally {
    await parallel?.close();
    await Promise.race([client.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }
}

/** Every foreign key in the database, by the names of its table and of the table it references. */
async function existingForeignKeys(client: pg.ClientBase): Promise<Array<{ table: string; referenced: string }>> {
  const { rows } = await client.query<{ table: string; referenced: string }>(
    `SELECT c.relname AS table, r.relname AS referenced FROM pg_catalog.pg_constraint f
       JOIN pg_catalog.pg_class c ON c.oid = f.conrelid JOIN pg_catalog.pg_class r ON r.oid = f.confrelid
      WHERE f.contype = 'f'`,
  );
  return rows;
}

/**
 * The role an `ALTER <object> ... OWNER TO role` statement gives an object to (pg_dump writes one per
 * object it dumps with owners), unquoted; undefined for any other statement. The role must end the
 * statement: a value that merely contains the words (a default, a comment) is no ownership change.
 */
export function ownerChangeRole(sql: string): string | undefined {
  const match = /^\s*ALTER\s[\s\S]*\sOWNER\s+TO\s+("(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)\s*;?\s*$/i.exec(sql);
  if (match === null) return undefined;
  return identifierName(match[1]!);
}

/** BEGIN / START TRANSACTION or COMMIT / END: a script's own transaction around some of its statements. */
function opensOrCommits(sql: string): boolean {
  return /^\s*(?:BEGIN|START\s+TRANSACTION|COMMIT|END)\s*;?\s*$/i.test(sql);
}

/**
 * A damaged input found while restoring into an empty target. Without a transaction, what ran is
 * in the database: it must not pass for a restore, so the message says it is incomplete.
 */
function damagedInputError(problem: DumpInputError, database: string, nothingLeft: boolean, singleTransaction: boolean, statements: number, cause: unknown): UserError {
  if (nothingLeft) {
    return new UserError(`${problem.problem}; nothing was restored${singleTransaction ? ' (rolled back: the database is as it was)' : ''}`, { cause });
  }
  return new UserError(
    `${problem.problem}. It was checked while it was restored (the target was empty): ${statements > 0 ? `${statements} statements` : 'part of its data'} had already run, ` +
      `so database ${database} is INCOMPLETE and must not be used; drop it, or restore a good dump into it with --clean`,
    { cause },
  );
}

/**
 * psql meta-commands that dumps contain. `\restrict`/`\unrestrict` (pg_dump 17.6+) only guard
 * psql itself against other meta-commands, which we never run, so they are accepted. `\connect`
 * to the database being restored is a no-op; to another one it is a cluster dump (pg_dumpall),
 * which this command does not restore.
 */
function handleMetaCommand(command: string, args: string, line: number, database: string): void {
  if (command === 'restrict' || command === 'unrestrict') return;
  if (command === 'connect' || command === 'c') {
    const target = /dbname='?([^' ]+)'?/.exec(args)?.[1] ?? args.split(/\s+/).find((arg) => !arg.startsWith('-'))?.replace(/^"|"$/g, '');
    if (target === undefined || target === database) return;
    throw new UserError(
      `line ${line}: the dump switches to database ${target} (\\connect): it is a cluster dump (pg_dumpall); restore it with psql, or restore one database's dump`,
    );
  }
  throw new UserError(`line ${line}: the psql command \\${command} is not supported in a dump restored by immich-backup; use psql for this file`);
}

/** --clean: the target's own schemas are dropped, its large objects unlinked, and public recreated (Immich's restore does the same). */
async function dropUserSchemas(client: pg.ClientBase, log: Logger | undefined): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_catalog.pg_namespace n
      WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.objid = n.oid AND e.deptype = 'e')`,
  );
  for (const { name } of rows) {
    await client.query(`DROP SCHEMA ${pg.escapeIdentifier(name)} CASCADE`);
    log?.info({ schema: name }, 'dropping schema before restoring (--clean)');
  }
  // Large objects belong to no schema: the target's own would outlive the drops above (the dump's
  // script unlinks only the ones it creates again).
  const { rowCount: unlinked } = await client.query('SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata');
  if ((unlinked ?? 0) > 0) log?.info({ largeObjects: unlinked }, 'removing large objects before restoring (--clean)');
  await client.query('CREATE SCHEMA IF NOT EXISTS public');
  // Give the new public schema the owner, ACL and comment a fresh database has, as pg_dump of a
  // database with a default public schema prints nothing to restore them.
  const version = Number((await client.query<{ v: string }>('SELECT pg_catalog.current_setting($1) AS v', ['server_version_num'])).rows[0]!.v);
  await client.query(`COMMENT ON SCHEMA public IS 'standard public schema'`);
  if (version >= 150000) {
    const { rows } = await client.query<{ member: boolean }>(`SELECT pg_catalog.pg_has_role('pg_database_owner', 'MEMBER') AS member`);
    if (rows[0]!.member) await client.query('ALTER SCHEMA public OWNER TO pg_database_owner');
    await client.query('GRANT USAGE ON SCHEMA public TO PUBLIC');
  } else {
    await client.query('GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC');
  }
  return rows.map((row) => row.name);
}

/**
 * Statements are quoted in error messages: no secret may be among them — a role's password
 * (pg_dumpall), or a user mapping's or foreign server's option whose name ends in "password"
 * (password, sslpassword, ...; OPTIONS (password 'x'), OPTIONS (ADD sslpassword 'x')), or a
 * subscription's connection string (CONNECTION 'host=... password=...'), hidden whole.
 */
export function redactSecrets(sql: string): string {
  return sql.replace(/\b(\w*PASSWORD\s+|CONNECTION\s+)(E?'(?:[^']|'')*'?)/gi, "$1'***'");
}
