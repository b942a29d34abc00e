import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { throttleProgress } from '../progress.ts';
import { acquireRunLock, RunLockedError, type RunLock } from './lock.ts';
import { dumpFileName } from './manifest.ts';
import { newRunReport, type RunReport, type RunTrigger, type StepName } from '../report.ts';
import { lastGoodRun, partialFolderName, runFolderName } from './run-folders.ts';
import { recordRun } from './state.ts';
import { summarizeConfigCopy } from './steps/config-copy.ts';
import { dumpFigures, summarizeDump } from './steps/dump.ts';
import { immichCopyFailedWarning, immichCopySource, summarizeImmichCopy } from './steps/immich-copy.ts';
import { maintenanceSkipReason, summarizeImmich } from './steps/immich.ts';
import type { BackupSteps } from './steps/index.ts';
import { kopiaDisabledWarning, snapshotSkippedSummary, summarizeRepositoryCheck, summarizeSnapshot } from './steps/kopia.ts';
import { defaultLibraryCheckTimeoutMs, libraryCheckWithin, summarizeLibraryCheck } from './steps/library-check.ts';
import { completeRunFolder, recordKopiaOutcome, summarizeManifest, type CompletedRunFolder } from './steps/manifest.ts';
import { retentionFailedWarning, summarizeRetention } from './steps/retention.ts';
import { describeProgress, type StepContext, type StepResult } from './steps/step.ts';

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
  /** The library check gives up after this long (default 1 min): see libraryCheckWithin. */
  libraryCheckTimeoutMs?: number;
}

/** How often a long step's progress goes to the log (every update goes to /status). */
const progressLogIntervalMs = 15_000;

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
 * The report of a run that could not start because nothing can be written in BACKUP_DIR (its disk
 * is full, it is not writable): failed with exit 1, no step attempted, for the failure notification.
 */
export function notStartedReport(runId: string, trigger: RunTrigger, started: Date, finished: Date, cause: unknown): RunReport {
  return {
    ...newRunReport({ runId, trigger, startedAt: started }),
    status: 'failed',
    exitCode: ExitCode.databaseFailed,
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    error: `the run could not start: ${errorMessage(cause)}`,
  };
}

/**
 * One backup run (README "What a run does"): the steps of src/backup/steps/ in order, and the rules
 * between them. Holds the run lock for its whole length. Throws only RunLockedError (another run
 * holds the lock): the result, including the exit code, is in the returned report, also when the
 * lock cannot be written at all (a full or unwritable BACKUP_DIR: a failed run, notified).
 *
 * 1. immich: in maintenance mode → the run is skipped (75), nothing written.
 * 2. dump, library-check, config-copy, manifest: the local part, written into a hidden
 *    `.immich-….partial` folder renamed to `immich-…` only once complete, so a folder with the
 *    run's real name is never half-written. Any failure here → exit 1 and no folder at all; so
 *    does a database without Immich's bookkeeping (the dump refuses it: ALLOW_NON_IMMICH_DATABASE).
 * 3. immich-copy, retention: a failure is a warning; the local backup is good.
 * 4. kopia-repository, then kopia-backups and kopia-library (both attempted even if one fails:
 *    each is worth having): any failure → exit 2, the local backup kept and good.
 */
export async function runBackup(options: RunOptions): Promise<RunReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  let runId = runFolderName(started);
  let lock: RunLock;
  try {
    await mkdir(options.backupDir, { recursive: true });
    lock = await acquireRunLock(options.backupDir, runId, options.log);
  } catch (error) {
    if (error instanceof RunLockedError) throw error;
    // A full or unwritable BACKUP_DIR: a failure like any other, or scheduled runs would stop unheard of.
    const report = notStartedReport(runId, options.trigger, started, now(), error);
    options.log.error({ exitCode: report.exitCode, error: report.error }, 'backup run failed');
    await options.notify?.('failure', structuredClone(report));
    return report;
  }
  const log = options.log.child({ runId });
  const steps = options.steps;
  const report = newRunReport({ runId, trigger: options.trigger, startedAt: started });
  const update = () => options.onUpdate?.(structuredClone(report));
  // A long step says how far it got, now and then (the log of a manual run on a terminal).
  const logProgress = throttleProgress(
    progressLogIntervalMs,
    ({ step, figures }: { step: StepName; figures: Record<string, unknown> }) => log.info({ step }, `${step}: ${describeProgress(figures)}`),
    { immediateFirst: true },
  );
  const context = (step: StepName): StepContext => ({
    runId,
    signal: options.signal,
    log: log.child({ step }),
    progress(figures) {
      report.progress = { step, ...figures };
      update();
      logProgress({ step, figures });
    },
  });
  /** Runs one step and adds its report; a step that throws is reported failed and throws StepFailure. */
  async function step<T>(name: StepName, work: (context: StepContext) => Promise<T>, summarize: (result: T) => StepResult): Promise<T> {
    const stepStarted = now();
    log.info({ step: name }, `step ${name} started`);
    try {
      options.signal.throwIfAborted();
      const result = await work(context(name));
      const { status, summary, details, warnings } = summarize(result);
      report.steps.push({
        name,
        status,
        startedAt: stepStarted.toISOString(),
        durationMs: now().getTime() - stepStarted.getTime(),
        ...(summary === undefined ? {} : { summary }),
        ...(details === undefined ? {} : { details }),
      });
      for (const warning of warnings) {
        report.warnings.push(warning);
        log.warn({ step: name }, warning);
      }
      log.info({ step: name, summary, durationMs: report.steps.at(-1)!.durationMs }, `step ${name} done`);
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
  /** A step whose failure does not fail the run: it is reported as a warning with `warning`'s text. */
  async function stepOrWarn<T>(name: StepName, work: (context: StepContext) => Promise<T>, summarize: (result: T) => StepResult, warning: (cause: unknown) => string) {
    try {
      return await step(name, work, summarize);
    } catch (error) {
      report.steps.at(-1)!.status = 'warning';
      report.warnings.push(warning(error instanceof StepFailure ? error.cause : error));
      return undefined;
    }
  }

  let startNotice: Promise<unknown> | undefined;
  try {
    update();
    // Not awaited here: a slow notifier must not hold up the dump (it is awaited before the result).
    startNotice = options.notify?.('start', structuredClone(report));

    // 1. Immich first: its version goes into the manifest, and no dump is taken during its own restore.
    let immichVersion: string | null = null;
    if (steps.checkImmich !== undefined) {
      const check = await step('immich', (c) => steps.checkImmich!(c), summarizeImmich);
      immichVersion = check.version;
      report.immich = { version: check.version, migration: null };
      if (check.maintenance) throw new RunSkipped(maintenanceSkipReason(check));
    }
    // Nor while restore-db restores into the database: its half would be taken for a good backup.
    const restoring = await steps.checkRestoring?.(context('dump'));
    if (restoring !== undefined) throw new RunSkipped(restoring);

    // 2. The local part; the folder gets its name in the manifest step.
    const partial = join(options.backupDir, partialFolderName(runId));
    let completed: CompletedRunFolder;
    try {
      await rm(partial, { recursive: true, force: true });
      await mkdir(partial, { mode: 0o700 });
      // Read before this run's folder exists: a sharp shrink since then is a warning of the dump step.
      const previous = await lastGoodRun(options.backupDir).catch(() => undefined);
      const dump = await step('dump', (c) => steps.dump(join(partial, dumpFileName), c), (result) => summarizeDump(result, previous));
      report.dump = dumpFigures(dump);
      const immich = { version: immichVersion, migration: dump.immichMigration ?? null };
      report.immich = immich;
      await step('library-check', (c) => libraryCheckWithin(steps.checkLibrary(c), options.libraryCheckTimeoutMs ?? defaultLibraryCheckTimeoutMs, c.signal), summarizeLibraryCheck);
      const copies = await step('config-copy', (c) => steps.copyConfig(partial, c), summarizeConfigCopy);
      completed = await step(
        'manifest',
        () =>
          completeRunFolder({
            backupDir: options.backupDir,
            partialFolder: partial,
            runId,
            startedAt: started,
            finishedAt: now(),
            dump,
            copies,
            immich,
            timings: Object.fromEntries(report.steps.map((s) => [s.name, s.durationMs])),
            warnings: [...report.warnings],
          }),
        summarizeManifest,
      );
      runId = completed.runId;
      report.runId = completed.runId;
      report.folder = completed.folder;
    } catch (error) {
      await rm(partial, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }

    // 3. Extras around the good local backup: their trouble is a warning.
    if (steps.placeImmichCopy !== undefined) {
      const place = steps.placeImmichCopy;
      const path = await stepOrWarn(
        'immich-copy',
        (c) => place.call(steps, immichCopySource(runId, completed.folder, report.dump!, immichVersion), c),
        summarizeImmichCopy,
        immichCopyFailedWarning,
      );
      if (path !== undefined) report.immich = { ...(report.immich ?? { version: immichVersion, migration: null }), copy: path };
    }
    await stepOrWarn('retention', (c) => steps.retention(c), summarizeRetention, retentionFailedWarning);

    // 4. The offsite part. The repository is checked first: snapshots into the wrong repository (or
    // none) would look like an offsite copy and not be one.
    const kopiaErrors: { step: StepName; message: string }[] = [];
    let repositoryChecked = true;
    if (steps.snapshotBackups !== undefined && steps.checkRepository !== undefined) {
      const check = steps.checkRepository;
      try {
        report.repository = (await step('kopia-repository', (c) => check.call(steps, c), summarizeRepositoryCheck)).repository;
      } catch (error) {
        repositoryChecked = false;
        kopiaErrors.push({ step: 'kopia-repository', message: errorMessage(error) });
      }
    }
    for (const [name, snapshot, key] of [
      ['kopia-backups', steps.snapshotBackups, 'backups'],
      ['kopia-library', steps.snapshotLibrary, 'library'],
    ] as const) {
      if (snapshot === undefined || !repositoryChecked) {
        const summary = snapshotSkippedSummary(snapshot === undefined ? 'disabled' : 'repository-check-failed');
        report.steps.push({ name, status: 'skipped', startedAt: now().toISOString(), durationMs: 0, summary });
        continue;
      }
      try {
        report.snapshots[key] = await step(name, (c) => snapshot.call(steps, c), summarizeSnapshot);
      } catch (error) {
        kopiaErrors.push({ step: name, message: errorMessage(error) });
      }
    }
    if (steps.snapshotBackups === undefined) report.warnings.push(kopiaDisabledWarning);
    report.offsite =
      report.repository?.offsite === true && kopiaErrors.length === 0 && report.snapshots.backups !== undefined && report.snapshots.library !== undefined;
    const kopiaErrorLines = kopiaErrors.map((error) => `${error.step}: ${error.message}`);
    const notRecorded = await recordKopiaOutcome(completed, { snapshots: report.snapshots, repository: report.repository, errors: kopiaErrorLines });
    if (notRecorded !== undefined) report.warnings.push(notRecorded);
    if (kopiaErrors.length > 0) {
      report.status = 'failed';
      report.exitCode = ExitCode.kopiaFailed;
      report.failedStep = kopiaErrors[0]!.step;
      report.error = kopiaErrorLines.join('; ');
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
