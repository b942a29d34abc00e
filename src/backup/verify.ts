import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig, SidecarConfig } from '../config.ts';
import { UserError, errorMessage } from '../errors.ts';
import { KopiaClient } from '../kopia/client.ts';
import { notifyAll, verifyNotifiersFromConfig } from '../notify/index.ts';
import type { Logger } from '../log.ts';
import { closeClient, openClient } from '../postgres/connection.ts';
import { extensionConfigQuery, type ExtensionConfigRow } from '../postgres/catalog.ts';
import { applyDumpSessionSettings, copyOutSql, copyTableData } from '../postgres/table-data.ts';
import { RowSetHasher, TableHasher, sumRowDigests, type CopyTextHasher } from '../postgres/table-hash.ts';
import { describeObject, inventoryObjects } from '../postgres/inventory.ts';
import { restoreDatabase } from '../postgres/restore.ts';
import { newestImmichMigration } from '../postgres/immich-migrations.ts';
import { captureFingerprint, compareFingerprints, describeDifference, loadFingerprint, type StoredFingerprint } from '../postgres/fingerprint.ts';
import { formatDuration } from '../format.ts';
import { newRunReport, type ExternalFiles, type RunReport, type RunTrigger, type VerifyResult } from '../report.ts';
import { lastGoodRun } from './run-folders.ts';
import { recordVerify } from './state.ts';

/**
 * The restore test: a backup nobody has restored is a hope, not a backup. The newest complete
 * dump is restored into a scratch database, checked table by table against its manifest, and the
 * database's file paths are looked up in the newest library snapshot.
 */
export interface VerifyOptions {
  backupDir: string;
  /** Immich's database: the scratch database is created on the same server. */
  database: DatabaseConfig['connection'];
  /** Another server for the scratch database (VERIFY_DATABASE_URL). */
  scratchServerUrl?: string;
  kopia?: { client: KopiaClient; libraryPath: string };
  /** Where Immich's container sees the upload location (IMMICH_MEDIA_LOCATION); legacy paths are mapped too. */
  mediaLocations?: string[];
  log?: Logger;
  signal?: AbortSignal;
}


const defaultMediaLocations = ['/data', '/usr/src/app/upload'];

export async function runVerify(options: VerifyOptions): Promise<VerifyResult> {
  const started = Date.now();
  const problems: string[] = [];
  const result = (runId: string | null, extra: Partial<VerifyResult> = {}): VerifyResult => ({
    ok: problems.length === 0,
    runId,
    checkedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    tablesChecked: 0,
    rowsChecked: 0,
    problems,
    files: null,
    ...extra,
  });

  const run = await lastGoodRun(options.backupDir);
  if (run === undefined || run.manifest?.database === null || run.manifest === null) {
    problems.push(`no complete backup with a database dump in ${options.backupDir}`);
    return result(null);
  }
  const manifest = run.manifest;
  const database = manifest.database!;
  const scratch = `${scratchPrefix}${Date.now()}`;
  // A scratch server (VERIFY_DATABASE_URL) gets the same connect timeout as Immich's (DB_CONNECT_TIMEOUT).
  const timeout = options.database.connectionTimeoutMillis === undefined ? {} : { connectionTimeoutMillis: options.database.connectionTimeoutMillis };
  const admin = options.scratchServerUrl === undefined ? options.database : { connectionString: options.scratchServerUrl, ...timeout };
  const scratchConnection =
    options.scratchServerUrl === undefined ? { ...options.database, database: scratch } : { ...withDatabase(options.scratchServerUrl, scratch), ...timeout };
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  let adminClient: pg.Client | undefined;
  let tablesChecked = 0;
  let rowsChecked = 0;
  let files: VerifyResult['files'] = null;
  let stoppedAfter: number | undefined;
  try {
    // Not cut by a stop once connected: it drops the scratch database whatever happened.
    adminClient = await openClient(admin, { applicationName: 'immich-backup verify', ...signalOption, signalStopsConnectOnly: true });
    await dropLeftoverScratch(adminClient, options.log);
    await adminClient.query(`CREATE DATABASE ${pg.escapeIdentifier(scratch)}`);
    options.log?.info({ runId: manifest.runId, scratch }, 'verify: restoring the newest dump into a scratch database');
    await restoreDatabase({
      connection: scratchConnection,
      input: join(run.path, database.file),
      singleTransaction: true,
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });

    const client = await openClient(scratchConnection, { applicationName: 'immich-backup verify', ...signalOption });
    try {
      await applyDumpSessionSettings(client);
      // Partitions loaded through their root: the restore put their rows where the new hashes say.
      const viaRoot = new Map<string, typeof database.tables>();
      for (const table of database.tables) {
        options.signal?.throwIfAborted();
        if (table.loadedViaRoot !== undefined) {
          const root = `${table.loadedViaRoot.schema}.${table.loadedViaRoot.name}`;
          viaRoot.set(root, [...(viaRoot.get(root) ?? []), table]);
          continue;
        }
        const copied = await recopy(client, table.schema, table.name, new TableHasher(table.pieceBytes));
        tablesChecked += 1;
        rowsChecked += copied.rows;
        if (copied.rows !== table.rows || copied.sha256 !== table.sha256) {
          problems.push(
            `table ${table.schema}.${table.name}: the restored copy has ${copied.rows} rows (manifest: ${table.rows})${
              copied.sha256 === table.sha256 ? '' : ', and its content differs from the manifest'
            }`,
          );
        }
      }
      for (const [root, tables] of viaRoot) {
        const copies = [];
        // In the root's column order, as the dump copied them (the partitions' own orders may differ).
        for (const table of tables) copies.push(await recopy(client, table.schema, table.name, new RowSetHasher(), table.loadedViaRoot));
        tablesChecked += tables.length;
        const rows = copies.reduce((sum, copied) => sum + copied.rows, 0);
        rowsChecked += rows;
        const expectedRows = tables.reduce((sum, table) => sum + table.rows, 0);
        const sameRows = sumRowDigests(copies.map((copied) => copied.sha256)) === sumRowDigests(tables.map((table) => table.sha256));
        if (rows !== expectedRows || !sameRows) {
          problems.push(
            `the ${tables.length} partition(s) of ${root} loaded through it: the restored ones hold ${rows} rows (manifest: ${expectedRows})${
              sameRows ? '' : ', and their rows differ from the manifest'
            }`,
          );
        }
      }
      problems.push(...(await compareCatalog(client, database.fingerprint, options.log)));
      problems.push(...(await compareSchemas(options.database, client, database.unsupportedObjects.map((o) => describeObject(o)), options.signal, options.log)));
      if (options.kopia !== undefined) files = await crossCheckLibrary(client, options.kopia, options.mediaLocations ?? defaultMediaLocations);
      if (files !== null && files.missing > 0) {
        problems.push(`${files.missing} of ${files.checked} files the database references are not in library snapshot ${files.snapshotId}, e.g. ${files.examples.join(', ')}`);
      }
      if (files?.external !== undefined && files.external.missing > 0) {
        problems.push(
          `${files.external.missing} of ${files.external.checked} external-library files the database references are missing from their mounted folder, e.g. ${files.external.examples.join(', ')}`,
        );
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    // Stopped: what it had found until then stands, what it had not reached is unknown.
    if (options.signal?.aborted === true) stoppedAfter = problems.length;
    problems.push(`restore test failed: ${errorMessage(error)}${privilegeHint(error, options)}`);
  } finally {
    // Whatever happened, the scratch database goes.
    if (adminClient !== undefined) await dropScratch(adminClient, scratch, problems);
  }
  const outcome = result(manifest.runId, { tablesChecked, rowsChecked, files, ...(stoppedAfter === undefined ? {} : { stoppedAfter }) });
  options.log?.[outcome.ok ? 'info' : 'error']({ ...outcome, problems: outcome.problems.slice(0, 20) }, outcome.ok ? 'verify passed' : 'verify FAILED');
  return outcome;
}

/**
 * A role that may not create the scratch database or the dump's extensions in it (Immich's
 * documented setup without superuser) fails every restore test: what it needs, and the way around.
 */
function privilegeHint(error: unknown, options: VerifyOptions): string {
  let cause: unknown = error;
  while (cause instanceof Error && (cause as { code?: unknown }).code !== '42501') cause = cause.cause;
  if (!(cause instanceof Error)) return '';
  const role = 'user' in options.database && typeof options.database.user === 'string' ? options.database.user : 'the database user';
  return options.scratchServerUrl === undefined
    ? `; the restore test makes a scratch database and restores the dump into it, extensions included: give ${role} CREATEDB (and the right to create those extensions), or set VERIFY_DATABASE_URL to a superuser's URL on this server or another`
    : '; the restore test makes a scratch database and restores the dump into it, extensions included: VERIFY_DATABASE_URL must name a role allowed to (a superuser)';
}

/** Scratch databases are named this, then the time they were made (ms since 1970). */
const scratchPrefix = 'immich_backup_verify_';
/** A scratch database older than this, that nobody is connected to, is a leftover (a restore test starts using its own at once). */
const leftoverScratchAfterMs = 3_600_000;

/**
 * Drops the scratch databases of earlier restore tests that never dropped theirs: killed (OOM
 * during the restore, SIGKILL, a container stopped before its grace period ended), they leave a
 * whole copy of Immich's database on the server, one per killed test, until its disk is full.
 * A plain DROP DATABASE fails while anyone is connected, so a restore test going on elsewhere keeps its own.
 */
async function dropLeftoverScratch(adminClient: pg.Client, log: Logger | undefined): Promise<void> {
  const { rows } = await adminClient.query<{ name: string }>(
    `SELECT datname AS name FROM pg_catalog.pg_database WHERE datname ~ $1`,
    [`^${scratchPrefix}[0-9]+$`],
  );
  for (const { name } of rows) {
    if (Date.now() - Number(name.slice(scratchPrefix.length)) < leftoverScratchAfterMs) continue;
    try {
      await adminClient.query(`DROP DATABASE ${pg.escapeIdentifier(name)}`);
      log?.warn({ database: name }, `dropped the scratch database ${name} of an earlier restore test that did not finish`);
    } catch (error) {
      log?.info({ database: name, error: errorMessage(error) }, 'an earlier scratch database is still in use: left alone');
    }
  }
}

/** Drops the scratch database, giving a server that stopped answering 30 s, and closes the admin connection. */
async function dropScratch(adminClient: pg.Client, scratch: string, problems: string[]): Promise<void> {
  const dropped = adminClient.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(scratch)} WITH (FORCE)`);
  dropped.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 30 s')), 30_000);
  });
  await Promise.race([dropped, limit]).catch((error: unknown) => {
    problems.push(`could not drop the scratch database ${scratch}: ${errorMessage(error)}`);
  });
  clearTimeout(timer);
  await closeClient(adminClient);
}

function withDatabase(url: string, database: string): { connectionString: string } {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return { connectionString: parsed.toString() };
}

/**
 * COPYs a restored table out exactly as the dump did (same column list and settings) and hashes it
 * with `hasher`, which must be the dump's kind (cut into the same pieces, for a table the dump
 * copied in pieces; a row-set digest for a partition loaded through its root). `columnOrder`: the
 * table whose column order the COPY lists (the root, for a partition loaded through it); default its own.
 */
async function recopy(
  client: pg.ClientBase,
  schema: string,
  name: string,
  hasher: CopyTextHasher,
  columnOrder: { schema: string; name: string } = { schema, name },
): Promise<{ rows: number; sha256: string }> {
  const { rows: columns } = await client.query<{ name: string }>(
    `SELECT pg_catalog.quote_ident(a.attname) AS name FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = (pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2))::pg_catalog.regclass
        AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum`,
    [columnOrder.schema, columnOrder.name],
  );
  // An extension's configuration table: the dump wrote the rows its extension's condition picks, and
  // the restored table also holds those CREATE EXTENSION inserted.
  const { rows: config } = await client.query<Pick<ExtensionConfigRow, 'condition'>>(extensionConfigQuery, [schema, name]);
  const condition = config[0]?.condition ?? undefined;
  const copySql = copyOutSql(`${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`, columns.map((c) => c.name).join(', '), condition);
  const summary = { schema, name, rows: 0, bytes: 0, sha256: '' };
  for await (const _ of copyTableData(client, copySql, summary, hasher)) void _;
  return { rows: summary.rows, sha256: summary.sha256 };
}

/** Problem lines shown for a catalog that differs; the count says how many more there are. */
const shownCatalogDifferences = 50;

/**
 * The restored database's catalog against the fingerprint the dump took in its snapshot: every
 * object missing, added or changed, each changed one with the properties that differ.
 */
async function compareCatalog(restored: pg.ClientBase, stored: StoredFingerprint | undefined, log: Logger | undefined): Promise<string[]> {
  if (stored === undefined) {
    log?.warn('verify: the manifest has no catalog fingerprint (made by an older version); the catalog is compared by object names only');
    return [];
  }
  let expected;
  try {
    expected = loadFingerprint(stored);
  } catch (error) {
    return [`the manifest's catalog fingerprint is damaged: ${errorMessage(error)}`];
  }
  const actual = await captureFingerprint(restored, { owner: expected.owner });
  const major = (versionNum: number) => Math.trunc(versionNum / 10000);
  if (major(actual.serverVersionNum) !== major(expected.serverVersionNum)) {
    // Catalogs differ between major versions (PostgreSQL 18 adds NOT NULL constraints, view definitions print differently...).
    log?.warn(
      { dumpedFrom: expected.serverVersionNum, scratchServer: actual.serverVersionNum },
      'verify: the scratch server runs another PostgreSQL major version than the dumped one; the catalog is compared by object names only',
    );
    return [];
  }
  const differences = compareFingerprints(expected, actual);
  const lines = differences.slice(0, shownCatalogDifferences).map((difference) => `catalog: ${describeDifference(difference)}`);
  if (differences.length > shownCatalogDifferences) lines.push(`catalog: and ${differences.length - shownCatalogDifferences} more object(s) differ from the dump's fingerprint`);
  return lines;
}

/**
 * Objects of the live database missing from the restored one (beyond those the dump said it skipped).
 * Not when Immich's migrations ran since the backup (an update between the backup and the restore
 * test): the live database then has the new release's objects, which no earlier backup can hold.
 */
async function compareSchemas(
  live: DatabaseConfig['connection'],
  restored: pg.ClientBase,
  skipped: string[],
  signal: AbortSignal | undefined,
  log: Logger | undefined,
): Promise<string[]> {
  const liveClient = await openClient(live, { applicationName: 'immich-backup verify', ...(signal === undefined ? {} : { signal }) });
  try {
    const [liveMigration, restoredMigration] = [await newestImmichMigration(liveClient), await newestImmichMigration(restored)];
    if (liveMigration !== null && restoredMigration !== null && liveMigration !== restoredMigration) {
      log?.warn(
        { backup: restoredMigration, live: liveMigration },
        `verify: Immich's database was migrated since the backup (${restoredMigration} -> ${liveMigration}): the live schema is not compared with the restored one`,
      );
      return [];
    }
    await liveClient.query(`SELECT pg_catalog.set_config('search_path', '', false)`);
    const expected = (await inventoryObjects(liveClient)).map((o) => describeObject({ ...o, reason: undefined }));
    const actual = new Set((await inventoryObjects(restored)).map((o) => describeObject({ ...o, reason: undefined })));
    const skippedSet = new Set(skipped.map((name) => name.replace(/ \(.*\)$/, '')));
    const missing = expected.filter((name) => !actual.has(name) && !skippedSet.has(name));
    return missing.length === 0 ? [] : [`${missing.length} object(s) of the live database are missing from the restored backup, e.g. ${missing.slice(0, 5).join(', ')}`];
  } finally {
    await liveClient.end().catch(() => undefined);
  }
}

/** Rows fetched from the asset cursor at a time: memory stays flat however many assets there are. */
const assetBatchRows = 1000;
/** Directory listings of the snapshot kept at once (paths come sorted, so nearby ones repeat). */
const cachedListings = 256;

/**
 * Every original file the database references must be in the newest library snapshot. Immich
 * stores absolute container paths (`/data/library/...`, or `/usr/src/app/upload/...` in older
 * installs); the snapshot's root is the upload location, so the prefix is what maps them.
 * Assets of external libraries (a `libraryId`, or a path outside the upload location) live in
 * their own folders, never in that snapshot: they are counted apart, and when their library's
 * import path is mounted in the sidecar at the same path, checked to exist there. The rows are
 * read through a server-side cursor in batches, never all at once.
 */
async function crossCheckLibrary(
  client: pg.ClientBase,
  kopia: { client: KopiaClient; libraryPath: string },
  mediaLocations: string[],
): Promise<VerifyResult['files']> {
  // `asset` since Immich 1.133; `assets` before (the tables were renamed to singular names).
  const { rows: tables } = await client.query<{ name: string; library_id: boolean }>(
    `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_catalog.pg_attribute l WHERE l.attrelid = c.oid AND l.attname = 'libraryId' AND NOT l.attisdropped) AS library_id
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'originalPath' AND NOT a.attisdropped
      WHERE c.oid IN (pg_catalog.to_regclass('public.asset'), pg_catalog.to_regclass('public.assets')) ORDER BY c.relname LIMIT 1`,
  );
  const assetTable = tables[0];
  if (assetTable === undefined) return null;
  const hasLibraryId = assetTable.library_id;
  const { snapshot } = await kopia.client.newestCompleteSnapshot(kopia.libraryPath);
  if (snapshot === undefined) return { checked: 0, missing: 0, examples: [], snapshotId: 'none', external: emptyExternal() };
  const importPaths = await mountedImportPaths(client);

  const listings = new Map<string, Promise<Set<string> | undefined>>();
  const listing = (directory: string) => {
    let names = listings.get(directory);
    if (names === undefined) {
      names = kopia.client.listDirectory(snapshot.rootID, directory).then((entries) => (entries === undefined ? undefined : new Set(entries.map((e) => e.name))));
      listings.set(directory, names);
      if (listings.size > cachedListings) listings.delete(listings.keys().next().value!);
    }
    return names;
  };
  const locations = mediaLocations.map((location) => `${location.replace(/\/+$/, '')}/`);
  let checked = 0;
  let missing = 0;
  const examples: string[] = [];
  const external = emptyExternal();

  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  try {
    await client.query(
      `DECLARE immich_backup_assets NO SCROLL CURSOR FOR
         SELECT "originalPath" AS path, ${hasLibraryId ? '"libraryId" IS NOT NULL' : 'false'} AS external FROM public.${pg.escapeIdentifier(assetTable.name)} ORDER BY 1`,
    );
    for (;;) {
      const { rows } = await client.query<{ path: string; external: boolean }>(`FETCH ${assetBatchRows} FROM immich_backup_assets`);
      if (rows.length === 0) break;
      for (const { path: stored, external: inExternalLibrary } of rows) {
        const path = absolutePath(stored);
        const location = locations.find((prefix) => path.startsWith(prefix));
        if (inExternalLibrary || location === undefined) {
          external.count += 1;
          const mounted = importPaths.find((prefix) => path.startsWith(prefix));
          if (mounted === undefined) continue;
          external.checked += 1;
          if (!(await fileExists(path))) {
            external.missing += 1;
            if (external.examples.length < 5) external.examples.push(path);
          }
          continue;
        }
        checked += 1;
        const relative = path.slice(location.length);
        const cut = relative.lastIndexOf('/');
        const names = await listing(cut === -1 ? '' : relative.slice(0, cut));
        if (names === undefined || !names.has(relative.slice(cut + 1))) {
          missing += 1;
          if (examples.length < 5) examples.push(path);
        }
      }
    }
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
  return { checked, missing, examples, snapshotId: snapshot.id, external };
}

/**
 * Immich before its ConvertToAbsolutePaths migration (1752759108283) stored upload-location paths
 * relative to its working directory /usr/src/app (`upload/library/...`); an absolute path is kept.
 */
function absolutePath(path: string): string {
  return path.startsWith('/') ? path : `/usr/src/app/${path.replace(/^(\.\/)+/, '')}`;
}

function emptyExternal(): ExternalFiles {
  return { count: 0, checked: 0, missing: 0, examples: [] };
}

/**
 * The import paths of Immich's external libraries (`library."importPaths"`) that exist as folders
 * in the sidecar (mounted at the same path as in Immich's container), each ending with `/`.
 */
async function mountedImportPaths(client: pg.ClientBase): Promise<string[]> {
  // `library` since Immich 1.133, `libraries` before.
  const { rows: present } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'importPaths' AND NOT a.attisdropped
      WHERE c.oid IN (pg_catalog.to_regclass('public.library'), pg_catalog.to_regclass('public.libraries')) ORDER BY c.relname LIMIT 1`,
  );
  if (present[0] === undefined) return [];
  const { rows } = await client.query<{ path: string }>(`SELECT DISTINCT pg_catalog.unnest("importPaths") AS path FROM public.${pg.escapeIdentifier(present[0].name)}`);
  const mounted: string[] = [];
  for (const { path } of rows) {
    if (!path.startsWith('/')) continue;
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory() === true) mounted.push(`${path.replace(/\/+$/, '')}/`);
  }
  return mounted;
}

async function fileExists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

/**
 * `verify` end to end as the CLI and the schedule run it: the restore test with the sidecar's
 * configuration, recorded in the state file (for /status and /metrics) and sent to the notifiers.
 */
export async function verifyAndReport(
  config: SidecarConfig,
  context: { log: Logger; signal?: AbortSignal; trigger: RunTrigger },
): Promise<VerifyResult> {
  // VERIFY_TIMEOUT: a restore test on a server that stopped answering must not hang the schedule for good.
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new UserError(`the restore test did not finish within ${formatDuration(config.verifyTimeoutMs)} (VERIFY_TIMEOUT): stopped`)),
    config.verifyTimeoutMs,
  );
  timer.unref();
  const onStop = () => deadline.abort(context.signal?.reason);
  if (context.signal?.aborted) onStop();
  else context.signal?.addEventListener('abort', onStop, { once: true });
  const signal = deadline.signal;
  const kopiaClient = config.kopia.enabled
    ? new KopiaClient({ ...config.kopia.connection, fingerprint: config.kopia.connection.fingerprint }, { signal })
    : undefined;
  const startedAt = new Date();
  try {
    const result = await runVerify({
      backupDir: config.backupDir,
      database: config.database.connection,
      ...(config.verifyDatabaseUrl === undefined ? {} : { scratchServerUrl: config.verifyDatabaseUrl }),
      ...(kopiaClient === undefined ? {} : { kopia: { client: kopiaClient, libraryPath: config.kopia.libraryPath } }),
      mediaLocations: [config.mediaLocation, '/usr/src/app/upload'],
      log: context.log,
      signal,
    });
    // Stopped from outside (the container stopped or recreated by an update, Ctrl-C), not by
    // VERIFY_TIMEOUT: the test found nothing wrong with the backup. Recorded as failed it would keep
    // /healthz 503 until a restore test passes (a month away by default), and notify a failure that
    // is not one. Left unrecorded, a restore test that never gets to finish shows as an old lastVerify
    // and a missing VERIFY_HEALTHCHECKS_URL ping.
    // A stop that came once the test had found a problem (or had finished) drops nothing: what it
    // found is a failed restore test, recorded and notified, with the interruption among its problems.
    const { stoppedAfter, ...finished } = result;
    if (!result.ok && context.signal?.aborted === true && stoppedAfter === 0) {
      const interrupted = errorMessage(context.signal.reason);
      context.log.warn({ runId: result.runId, reason: interrupted }, 'restore test interrupted before it finished: not recorded, nothing is known about the backup');
      return { ...finished, interrupted };
    }
    await recordVerify(config.backupDir, finished, context.log);
    const report: RunReport = {
      ...newRunReport({ runId: `verify of ${result.runId ?? 'no backup'}`, trigger: context.trigger, startedAt }),
      status: result.ok ? 'success' : 'failed',
      exitCode: result.ok ? 0 : 1,
      finishedAt: result.checkedAt,
      durationMs: result.durationMs,
      error: result.ok ? null : result.problems.join('; '),
    };
    const notifiers = verifyNotifiersFromConfig(config.notify);
    await notifyAll(result.ok ? 'success' : 'failure', report, { ...config.notify, notifiers, log: context.log, subject: 'restore-test' });
    return finished;
  } finally {
    clearTimeout(timer);
    context.signal?.removeEventListener('abort', onStop);
    await kopiaClient?.close();
  }
}
