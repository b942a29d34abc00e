import type { Server } from 'node:http';
import type { SidecarConfig } from '../config.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createHttpServer, listen } from '../http/server.ts';
import { collectStatus } from '../http/status.ts';
import { RunLockedError } from '../backup/lock.ts';
import type { RunReport, RunTrigger } from '../report.ts';
import { runBackup, type RunOptions } from '../backup/run.ts';
import type { BackupSteps } from '../backup/steps/index.ts';
import { Schedule, systemTimeZone } from './schedule.ts';
import { localIso } from '../time.ts';
import { runStartupChecks, type CheckResult } from '../backup/preflight.ts';

export interface ServiceOptions {
  config: SidecarConfig;
  log: Logger;
  steps: BackupSteps;
  notify: RunOptions['notify'];
  /** Runs once at startup before the schedule starts (e.g. making sure Kopia has a repository). */
  prepare?(): Promise<void>;
  /** Scheduled restore test (VERIFY_SCHEDULE), when available. */
  verify?(signal: AbortSignal): Promise<unknown>;
  /** The start-up checks (default: runStartupChecks); run at start, before each run and every few minutes. */
  checks?(): Promise<CheckResult[]>;
}

/** How often the start-up checks are repeated, so that a fixed folder owner turns /healthz green. */
const recheckIntervalMs = 5 * 60_000;
const failingRecheckIntervalMs = 15_000;

/**
 * `immich-backup serve`: the schedule, one run at a time, the HTTP endpoints, and a graceful stop.
 * Overlap is prevented twice: an in-process flag (a scheduled tick while a run is going on is
 * skipped with a warning) and the run lock file (a `docker exec … backup` meanwhile is refused).
 */
export class BackupService {
  private readonly options: ServiceOptions;
  private readonly log: Logger;
  private readonly startedAt = new Date();
  private readonly stopping = new AbortController();
  private task: Schedule | undefined;
  private verifyTask: Schedule | undefined;
  /** The scheduled restore test going on: stop() waits for it to drop its scratch database. */
  private verifying: Promise<void> | undefined;
  private checkResults: CheckResult[] = [];
  private recheckTimer: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private running: Promise<RunReport | undefined> | undefined;
  private current: RunReport | null = null;
  port = 0;

  constructor(options: ServiceOptions) {
    this.options = options;
    this.log = options.log;
  }

  status() {
    const { config } = this.options;
    return collectStatus({
      backupDir: config.backupDir,
      maxAgeMs: config.maxAgeMs,
      schedule: config.schedule,
      timeZone: config.timeZone ?? systemTimeZone(),
      current: this.current,
      nextRun: this.task?.nextRun() ?? null,
      serviceStartedAt: this.startedAt,
      checks: this.checkResults,
    });
  }

  /** Repeats the checks: every 15 s while one fails (e.g. Kopia still starting), else every 5 min. */
  private scheduleRecheck(): void {
    const failing = this.checkResults.some((check) => !check.ok);
    this.recheckTimer = setTimeout(() => {
      void this.runChecks()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopping.signal.aborted) this.scheduleRecheck();
        });
    }, failing ? failingRecheckIntervalMs : recheckIntervalMs);
    this.recheckTimer.unref();
  }

  /** Runs the start-up checks; logs each failure (once per change) with its fix. */
  async runChecks(): Promise<CheckResult[]> {
    const results = await (this.options.checks ?? (() => runStartupChecks(this.options.config)))();
    for (const result of results) {
      const before = this.checkResults.find((check) => check.name === result.name);
      if (!result.ok && (before === undefined || before.ok || before.message !== result.message)) {
        this.log.error({ check: result.name }, result.message);
      } else if (result.ok && before !== undefined && !before.ok) {
        this.log.info({ check: result.name }, `check ${result.name} passes now: ${result.message}`);
      }
    }
    this.checkResults = results;
    return results;
  }

  async start(): Promise<void> {
    const { config } = this.options;
    this.server = createHttpServer(() => this.status(), this.log);
    this.port = await listen(this.server, config.httpPort);
    this.log.info({ port: this.port }, 'HTTP server listening: /healthz, /status, /metrics');
    const checks = await this.runChecks();
    if (checks.every((check) => check.ok)) this.log.info('start-up checks passed: backups folder writable, library and config files readable, Kopia answers');
    this.scheduleRecheck();
    try {
      await this.options.prepare?.();
    } catch (error) {
      // Not fatal: the run will try again and report the failure through the usual channels.
      this.log.warn({ error: errorMessage(error) }, 'preparation failed; the next run will retry');
    }
    const timeZone = config.timeZone ?? systemTimeZone();
    this.task = new Schedule({ expression: config.schedule, timeZone, run: () => void this.trigger('schedule') });
    this.task.start();
    this.log.info({ schedule: config.schedule, timeZone, nextRun: localIso(this.task.nextRun() ?? Date.now(), timeZone) }, 'backup scheduled');
    if (config.verifySchedule !== undefined && this.options.verify !== undefined) {
      const verify = this.options.verify;
      this.verifyTask = new Schedule({
        expression: config.verifySchedule,
        timeZone,
        run: () => {
          // One restore test at a time: a tick while one is still going on is skipped.
          if (this.verifying !== undefined) return;
          this.verifying = verify(this.stopping.signal)
            .then(() => undefined)
            .catch((error: unknown) => this.log.error({ error: errorMessage(error) }, 'scheduled verify failed'))
            .finally(() => (this.verifying = undefined));
        },
      });
      this.verifyTask.start();
      this.log.info({ schedule: config.verifySchedule, timeZone, nextRun: localIso(this.verifyTask.nextRun() ?? Date.now(), timeZone) }, 'restore test scheduled');
    }
    if (config.backupOnStart) void this.trigger('start');
  }

  /** Starts a run unless one is going on; resolves with its report (undefined if skipped). */
  trigger(trigger: RunTrigger): Promise<RunReport | undefined> {
    if (this.running !== undefined) {
      this.log.warn({ trigger, runId: this.current?.runId }, 'a backup run is still in progress: this one is skipped');
      return Promise.resolve(undefined);
    }
    if (this.stopping.signal.aborted) return Promise.resolve(undefined);
    const start = async () => {
      await this.runChecks();
      return runBackup({
        backupDir: this.options.config.backupDir,
        steps: this.options.steps,
        log: this.log,
        signal: this.stopping.signal,
        trigger,
        ...(this.options.notify === undefined ? {} : { notify: this.options.notify }),
        onUpdate: (report) => {
          this.current = report.status === 'running' ? report : null;
        },
      });
    };
    const run = start()
      .catch((error: unknown) => {
        if (error instanceof RunLockedError) this.log.warn(error.message);
        else this.log.error({ error: errorMessage(error) }, 'backup run could not start');
        return undefined;
      })
      .finally(() => {
        this.running = undefined;
        this.current = null;
      });
    this.running = run;
    return run;
  }

  /**
   * SIGTERM: stop scheduling, abort a running run (the dump removes its partial files) and restore
   * test (it drops its scratch database), wait for both, close HTTP.
   */
  async stop(): Promise<void> {
    this.log.info('stopping: no new runs; aborting the one in progress, if any');
    this.task?.stop();
    this.verifyTask?.stop();
    clearTimeout(this.recheckTimer);
    this.stopping.abort(new Error('the service is stopping'));
    await this.running;
    await this.verifying;
    await new Promise<void>((resolve) => {
      if (this.server === undefined) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
