import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ImmichCheck } from '../immich/api.ts';
import { toolVersion } from '../version.ts';
import type { ConfigCopyResult } from './config-copy.ts';
import type { RepositoryCheck } from './kopia-step.ts';
import type { LibraryCheck } from './library-check.ts';
import { acquireRunLock } from './lock.ts';
import { dumpFileName, manifestFileName, manifestFormatVersion, type Manifest, type ObjectRef, type TableSummary } from './manifest.ts';
import { formatBytes } from '../format.ts';
import type { DumpFigures, RunReport, RunTrigger, SnapshotRef, StepName, StepReport } from '../report.ts';
import type { RetentionResult } from './retention.ts';
import { ChecksumCache } from './checksums.ts';
import { checkManifestFiles, partialFolderName, runFolderName } from './run-folders.ts';
import { recordRun } from './state.ts';
import type { StoredFingerprint } from '../postgres/fingerprint.ts';
import { fsyncFile } from '../durable-files.ts';

export interface DumpStepResult {
  serverVersion: string;
  database: string;
  tables: TableSummary[];
  size: number;
  sha256: string;
  uncompressedBytes: number;
  unsupportedObjects?: ObjectRef[];
  fingerprint?: StoredFingerprint;
  /** The newest kysely_migrations row, read in the dump's snapshot (null: no such table). */
  immichMigration?: string | null;
}

/** What the copy into Immich's backups folder is made from. */
export interface ImmichCopySource {
  runId: string;
  dumpPath: string;
  sha256: string;
  size: number;
  immichVersion: string;
  postgresVersion: string;
}

export interface StepContext {
  runId: string;
  signal: AbortSignal;
  log: Logger;
  /** Progress of a long step (bytes, rows, files), shown by /status. */
  progress(figures: Record<string, unknown>): void;
}

/**
 * The steps of a run, injected so that the orchestration is the same for the real dump and Kopia
 * client and for tests of each failure. `snapshotBackups`/`snapshotLibrary` are absent when Kopia
 * is disabled.
 */
export interface BackupSteps {
  dump(file: string, context: StepContext): Promise<DumpStepResult>;
  checkLibrary(context: StepContext): Promise<LibraryCheck>;
  copyConfig(runFolder: string, context: StepContext): Promise<ConfigCopyResult>;
  retention(context: StepContext): Promise<RetentionResult>;
  /** Before the snapshots: is the Kopia server connected to the repository this sidecar uses? */
  checkRepository?(context: StepContext): Promise<RepositoryCheck>;
  /** Immich's version and maintenance mode, asked before the dump (absent: IMMICH_URL=off). */
  checkImmich?(context: StepContext): Promise<ImmichCheck>;
  /** Places a copy of the dump in Immich's backups folder (IMMICH_BACKUPS_PATH); returns its path. */
  placeImmichCopy?(source: ImmichCopySource, context: StepContext): Promise<string>;
  snapshotBackups?(context: StepContext): Promise<SnapshotRef>;
  snapshotLibrary?(context: StepContext): Promise<SnapshotRef>;
}

export interface RunOptions {
  backupDir: string;
  steps: BackupSteps;
  log: Logger;
  signal: AbortSignal;
  trigger: RunTrigger;
  /** Sends notifications; must not throw (notify/index.ts never does). */
  notify?(event: 'start' | 'success' | 'failure' | 'skipped', report: RunReport): Promise<unknown>;
  /** Called whenever the report changes (step done, progress), for /status. */
  onUpdate?(report: RunReport): void;
  now?(): Date;
}

/** How often a long step's progress goes to the log (every update goes to /status). */
const progressLogIntervalMs = 15_000;

/** "30/63 tables, 1.2 GiB, 1,204,332 rows, table public.asset" from a step's progress figures. */
export function describeProgress(figures: Record<string, unknown>): string {
  const parts: string[] = [];
  const number = (key: string) => (typeof figures[key] === 'number' ? (figures[key] as number) : undefined);
  const tablesDone = number('tablesDone');
  const tablesTotal = number('tablesTotal');
  if (tablesDone !== undefined) parts.push(`${tablesDone}${tablesTotal === undefined ? '' : `/${tablesTotal}`} tables`);
  for (const key of ['files', 'hashedFiles', 'cachedFiles']) {
    const value = number(key);
    if (value !== undefined) parts.push(`${value.toLocaleString('en-US')} ${key === 'files' ? 'files' : key.replace(/Files$/, ' files')}`);
  }
  for (const key of ['bytes', 'hashedBytes', 'cachedBytes', 'uploadedBytes']) {
    const value = number(key);
    if (value !== undefined) parts.push(`${formatBytes(value)}${key === 'bytes' ? '' : ` ${key.replace(/Bytes$/, '')}`}`);
  }
  const rows = number('rows');
  if (rows !== undefined) parts.push(`${rows.toLocaleString('en-US')} rows`);
  if (typeof figures.table === 'string') parts.push(`table ${figures.table}`);
  if (typeof figures.phase === 'string' && figures.phase !== 'data') parts.push(String(figures.phase));
  return parts.length > 0 ? parts.join(', ') : 'in progress';
}
/** Thrown to end a run on purpose before anything is written (Immich in maintenance mode). */
class RunSkipped extends Error {}

class StepFailure extends Error {
  readonly step: StepName;
  constructor(step: StepName, cause: unknown) {
    super(errorMessage(cause), { cause });
    this.step = step;
  }
}

/**
 * One backup run (README "What a run does"). Holds the run lock for its whole length. Never
 * throws once the lock is taken: the result, including the exit code, is in the returned report.
 *
 * The local part is written into a hidden `.immich-….partial` folder and renamed to
 * `immich-…` only once the dump, config copies and a complete manifest are on disk, so a folder
 * with the run's real name is never half-written. A failed dump leaves no folder at all.
 */
export async function runBackup(options: RunOptions): Promise<RunReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  let runId = runFolderName(started);
  await mkdir(options.backupDir, { recursive: true });
  const lock = await acquireRunLock(options.backupDir, runId, options.log);
  const log = options.log.child({ runId });
  const report: RunReport = {
    runId,
    status: 'running',
    exitCode: null,
    trigger: options.trigger,
    startedAt: started.toISOString(),
    finishedAt: null,
    durationMs: null,
    folder: null,
    failedStep: null,
    error: null,
    steps: [],
    warnings: [],
    dump: null,
    snapshots: {},
    repository: null,
    offsite: false,
  };
  const update = () => options.onUpdate?.(structuredClone(report));
  let lastProgressLog = 0;
  const context = (step: StepName): StepContext => ({
    runId,
    signal: options.signal,
    log: log.child({ step }),
    progress(figures) {
      report.progress = { step, ...figures };
      update();
      // A long step says how far it got, now and then (the log of a manual run on a terminal).
      if (Date.now() - lastProgressLog >= progressLogIntervalMs) {
        lastProgressLog = Date.now();
        log.info({ step }, `${step}: ${describeProgress(figures)}`);
      }
    },
  });
  let startNotice: Promise<unknown> | undefined;
  async function step<T>(
    name: StepName,
    work: () => Promise<T>,
    describe: (result: T) => Pick<StepReport, 'summary' | 'details'> & { warnings?: string[] } = () => ({}),
  ): Promise<T> {
    const stepStarted = now();
    log.info({ step: name }, `step ${name} started`);
    try {
      options.signal.throwIfAborted();
      const result = await work();
      const { warnings = [], ...rest } = describe(result);
      report.steps.push({
        name,
        status: warnings.length > 0 ? 'warning' : 'ok',
        startedAt: stepStarted.toISOString(),
        durationMs: now().getTime() - stepStarted.getTime(),
        ...rest,
      });
      for (const warning of warnings) {
        report.warnings.push(warning);
        log.warn({ step: name }, warning);
      }
      log.info({ step: name, summary: rest.summary, durationMs: report.steps.at(-1)!.durationMs }, `step ${name} done`);
      return result;
    } catch (error) {
      const message = errorMessage(error);
      report.steps.push({
        name,
        status: 'failed',
        startedAt: stepStarted.toISOString(),
        durationMs: now().getTime() - stepStarted.getTime(),
        error: message,
      });
      log.error({ step: name, error: message }, `step ${name} failed`);
      throw new StepFailure(name, error);
    } finally {
      delete report.progress;
      update();
    }
  }

  try {
    update();
    // Not awaited here: a slow notifier must not hold up the dump (it is awaited before the result).
    startNotice = options.notify?.('start', structuredClone(report));

    // Immich first: its version goes into the manifest, and no dump is taken during its own restore.
    let immichVersion: string | null = null;
    if (options.steps.checkImmich !== undefined) {
      const check = await step('immich', () => options.steps.checkImmich!(context('immich')), (result) => ({
        summary: result.maintenance
          ? 'Immich is in maintenance mode'
          : `Immich ${result.version === null ? 'version unknown' : `v${result.version}`}${result.waitedMs > 0 ? `, after waiting ${Math.round(result.waitedMs / 1000)} s for maintenance mode to end` : ''}`,
        details: { version: result.version, maintenance: result.maintenance, waitedMs: result.waitedMs },
        warnings: result.warnings,
      }));
      immichVersion = check.version;
      report.immich = { version: check.version, migration: null };
      if (check.maintenance) throw new RunSkipped(check.warnings.at(-1) ?? 'Immich is in maintenance mode');
    }

    // Local part: dump, library check, config copies, manifest; then the folder gets its name.
    const partial = join(options.backupDir, partialFolderName(runId));
    let manifest: Manifest;
    try {
      await rm(partial, { recursive: true, force: true });
      await mkdir(partial, { mode: 0o700 });
      const dump = await step(
        'dump',
        () => options.steps.dump(join(partial, dumpFileName), context('dump')),
        (result) => {
          const rows = result.tables.reduce((sum, table) => sum + table.rows, 0);
          return {
            summary: `${dumpFileName} ${result.size} bytes, ${result.tables.length} tables, ${rows} rows (PostgreSQL ${result.serverVersion})`,
            details: { size: result.size, uncompressedBytes: result.uncompressedBytes, tables: result.tables.length, rows },
          };
        },
      );
      const dumpTimings = report.steps.at(-1)!.durationMs;
      report.dump = {
        file: dumpFileName,
        size: dump.size,
        sha256: dump.sha256,
        uncompressedBytes: dump.uncompressedBytes,
        serverVersion: dump.serverVersion,
        database: dump.database,
        tables: dump.tables.length,
        rows: dump.tables.reduce((sum, table) => sum + table.rows, 0),
      } satisfies DumpFigures;
      report.immich = { version: immichVersion, migration: dump.immichMigration ?? null };

      await step(
        'library-check',
        () => options.steps.checkLibrary(context('library-check')),
        (check) => ({ summary: check.found.length > 0 ? `found ${check.found.join(', ')}` : 'no library folders found', details: { found: check.found }, warnings: check.warnings }),
      );
      const copies = await step(
        'config-copy',
        () => options.steps.copyConfig(partial, context('config-copy')),
        (result) => ({
          summary: `${result.copied.length} file(s) copied`,
          details: { copied: result.copied.map((file) => file.path) },
          warnings: result.missing.map((missing) => `config file not copied: ${missing}`),
        }),
      );

      manifest = await step('manifest', async () => {
        const finished = now();
        const value: Manifest = {
          formatVersion: manifestFormatVersion,
          tool: 'immich-backup',
          toolVersion,
          runId,
          status: 'complete',
          startedAt: started.toISOString(),
          finishedAt: finished.toISOString(),
          database: {
            serverVersion: dump.serverVersion,
            name: dump.database,
            file: dumpFileName,
            tables: dump.tables,
            unsupportedObjects: dump.unsupportedObjects ?? [],
            ...(dump.fingerprint === undefined ? {} : { fingerprint: dump.fingerprint }),
          },
          immich: { version: immichVersion, migration: dump.immichMigration ?? null },
          files: [
            { path: dumpFileName, size: dump.size, sha256: dump.sha256 },
            ...copies.copied.map((file) => ({ path: file.path, size: file.size, sha256: file.sha256 })),
          ],
          timings: Object.fromEntries(report.steps.map((s) => [s.name, s.durationMs])),
          warnings: [...report.warnings],
          error: null,
        };
        value.timings.dump = dumpTimings;
        await writeManifest(partial, value);
        // Read back once: what is on disk must match the sha256 computed while writing (this also
        // fills the checksum cache that list, status and retention use).
        const checksums = new ChecksumCache(options.backupDir);
        const problem = await checkManifestFiles(partial, value, checksums);
        await checksums.save({ prune: false });
        if (problem !== undefined) throw new Error(`read back after writing, ${problem.reason}`);
        // The rename is what makes the run visible as a backup: do it only with everything on disk.
        let finalName = runId;
        for (let index = 2; await exists(join(options.backupDir, finalName)); index += 1) finalName = `${runId}-${index}`;
        await rename(partial, join(options.backupDir, finalName));
        await fsyncFile(options.backupDir);
        if (finalName !== runId) {
          value.runId = finalName;
          runId = finalName;
          report.runId = finalName;
          await writeManifest(join(options.backupDir, finalName), value);
        }
        report.folder = join(options.backupDir, finalName);
        return value;
      });
    } catch (error) {
      await rm(partial, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }

    if (options.steps.placeImmichCopy !== undefined) {
      const place = options.steps.placeImmichCopy;
      const dumpFigures = report.dump!;
      await step(
        'immich-copy',
        async () => {
          if (immichVersion === null) {
            throw new Error("not placed in Immich's backups folder: Immich's version is unknown, and its web restore reads the version from the name");
          }
          return place.call(
            options.steps,
            { runId, dumpPath: join(report.folder!, dumpFileName), sha256: dumpFigures.sha256, size: dumpFigures.size, immichVersion, postgresVersion: dumpFigures.serverVersion },
            context('immich-copy'),
          );
        },
        (path) => ({ summary: `placed ${path} for Immich's web restore`, details: { path } }),
      )
        .then((path) => {
          report.immich = { ...(report.immich ?? { version: immichVersion, migration: null }), copy: path };
        })
        .catch((error: unknown) => {
          // The local backup is good whatever happens here: a copy that could not be placed is a warning.
          report.steps.at(-1)!.status = 'warning';
          report.warnings.push(`the dump was not copied to Immich's backups folder: ${errorMessage(error instanceof StepFailure ? error.cause : error)}`);
        });
    }

    await step(
      'retention',
      () => options.steps.retention(context('retention')),
      (result) => ({
        summary: `${result.deleted.length} old folder(s) deleted, ${result.kept.length} kept`,
        details: { deleted: result.deleted, kept: result.kept.length },
        warnings: [
          ...result.errors.map((error) => `retention could not delete ${error}`),
          ...(result.corrupt ?? []).map((corrupt) => `local backup ${corrupt}: it is not restorable; check the disk`),
        ],
      }),
    ).catch((error: unknown) => {
      // Retention trouble must not fail a good backup: it is reported as a warning.
      report.steps.at(-1)!.status = 'warning';
      report.warnings.push(`local retention failed: ${errorMessage(error)}`);
    });

    // Offsite part. The repository is checked first: snapshots into the wrong repository (or none)
    // would look like an offsite copy and not be one. Then both snapshots are attempted even if the
    // first fails: each is worth having.
    const kopiaErrors: { step: StepName; message: string }[] = [];
    let repositoryChecked = true;
    if (options.steps.snapshotBackups !== undefined && options.steps.checkRepository !== undefined) {
      const check = options.steps.checkRepository;
      try {
        const result = await step('kopia-repository', () => check.call(options.steps, context('kopia-repository')), (checked) => ({
          summary: `${checked.repository.description}${checked.repository.offsite ? ' (offsite)' : ' (NOT offsite)'}${checked.created ? ', created by this run' : ''}`,
          details: { ...checked.repository, created: checked.created },
          warnings: checked.warnings,
        }));
        report.repository = result.repository;
      } catch (error) {
        repositoryChecked = false;
        kopiaErrors.push({ step: 'kopia-repository', message: errorMessage(error) });
      }
    }
    for (const [name, run, key] of [
      ['kopia-backups', options.steps.snapshotBackups, 'backups'],
      ['kopia-library', options.steps.snapshotLibrary, 'library'],
    ] as const) {
      if (run === undefined || !repositoryChecked) {
        const summary = run === undefined ? 'Kopia is disabled' : 'not attempted: the Kopia repository check failed';
        report.steps.push({ name, status: 'skipped', startedAt: now().toISOString(), durationMs: 0, summary });
        continue;
      }
      try {
        const snapshot = await step(name, () => run.call(options.steps, context(name)), (ref) => ({
          summary: `snapshot ${ref.id} of ${ref.source}`,
          details: { ...ref },
        }));
        report.snapshots[key] = snapshot;
      } catch (error) {
        kopiaErrors.push({ step: name, message: errorMessage(error) });
      }
    }
    if (options.steps.snapshotBackups === undefined) report.warnings.push('Kopia is disabled (KOPIA_ENABLED=false): this backup is local only');
    report.offsite =
      report.repository?.offsite === true && kopiaErrors.length === 0 && report.snapshots.backups !== undefined && report.snapshots.library !== undefined;
    manifest.kopia = {
      backups: report.snapshots.backups === undefined ? null : { id: report.snapshots.backups.id, source: report.snapshots.backups.source },
      library: report.snapshots.library === undefined ? null : { id: report.snapshots.library.id, source: report.snapshots.library.source },
      repository: report.repository,
      errors: kopiaErrors.map((error) => `${error.step}: ${error.message}`),
    };
    await writeManifest(report.folder!, manifest).catch((error: unknown) => {
      report.warnings.push(`could not record the Kopia result in the manifest: ${errorMessage(error)}`);
    });
    if (kopiaErrors.length > 0) {
      report.status = 'failed';
      report.exitCode = ExitCode.kopiaFailed;
      report.failedStep = kopiaErrors[0]!.step;
      report.error = kopiaErrors.map((error) => `${error.step}: ${error.message}`).join('; ');
    } else {
      report.status = 'success';
      report.exitCode = ExitCode.ok;
    }
  } catch (error) {
    if (error instanceof RunSkipped) {
      report.status = 'skipped';
      report.exitCode = ExitCode.skipped;
      report.error = error.message;
      report.folder = null;
    } else {
      report.status = 'failed';
      report.exitCode = ExitCode.databaseFailed;
      report.failedStep = error instanceof StepFailure ? error.step : 'dump';
      report.error = `${report.failedStep}: ${errorMessage(error)}`;
      report.folder = null;
    }
  }

  const finished = now();
  report.finishedAt = finished.toISOString();
  report.durationMs = finished.getTime() - started.getTime();
  try {
    await recordRun(options.backupDir, report, log);
  } catch (error) {
    log.warn({ error: errorMessage(error) }, 'could not write the state file');
  } finally {
    await lock.release();
  }
  update();
  if (report.status === 'success') log.info({ exitCode: 0, durationMs: report.durationMs, folder: report.folder }, 'backup run succeeded');
  else if (report.status === 'skipped') log.warn({ exitCode: report.exitCode, reason: report.error }, 'backup run skipped');
  else log.error({ exitCode: report.exitCode, failedStep: report.failedStep, error: report.error }, 'backup run failed');
  await startNotice;
  await options.notify?.(report.status === 'success' ? 'success' : report.status === 'skipped' ? 'skipped' : 'failure', structuredClone(report));
  return report;
}

async function exists(path: string): Promise<boolean> {
  try {
    await (await open(path, 'r')).close();
    return true;
  } catch {
    return false;
  }
}

async function writeManifest(folder: string, manifest: Manifest): Promise<void> {
  const path = join(folder, manifestFileName);
  await writeFile(`${path}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await fsyncFile(`${path}.tmp`);
  await rename(`${path}.tmp`, path);
}
