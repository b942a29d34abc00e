/**
 * What a backup run and a restore test report: the webhook payload's `run`, the /status JSON, the
 * state file and the metrics all come from these shapes, so they can never disagree. They live
 * below backup/, notify/ and http/ because all three read them (see the layer rule in
 * test/architecture/imports.test.ts).
 */
import type { RepositoryFacts } from './kopia/repository.ts';

export const stepNames = ['immich', 'dump', 'library-check', 'config-copy', 'manifest', 'immich-copy', 'retention', 'kopia-repository', 'kopia-backups', 'kopia-library'] as const;
export type StepName = (typeof stepNames)[number];

export type StepStatus = 'ok' | 'warning' | 'failed' | 'skipped';

export interface StepReport {
  name: StepName;
  status: StepStatus;
  startedAt: string;
  durationMs: number;
  /** One line for a person, e.g. "dump.sql.gz 12.3 MiB, 63 tables, 1,204,332 rows". */
  summary?: string;
  /** Figures a machine may read (sizes, counts, snapshot ids); documented in the README. */
  details?: Record<string, unknown>;
  error?: string;
}

export interface SnapshotRef {
  id: string;
  source: string;
  startTime?: string;
  endTime?: string;
  totalSize?: number;
  fileCount?: number;
  dirCount?: number;
}

export interface DumpFigures {
  file: string;
  size: number;
  sha256: string;
  uncompressedBytes: number;
  serverVersion: string;
  database: string;
  tables: number;
  rows: number;
}

/** `skipped`: nothing was dumped on purpose (Immich stayed in maintenance mode); not a failure. */
export interface ImmichFigures {
  version: string | null;
  migration: string | null;
  copy?: string;
}

export type RunStatus = 'running' | 'success' | 'failed' | 'skipped';
export type RunTrigger = 'schedule' | 'manual' | 'start';

export interface RunReport {
  runId: string;
  status: RunStatus;
  /** 0 ok, 1 database step failed, 2 Kopia step failed; null while running. */
  exitCode: number | null;
  trigger: RunTrigger;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** The finished run folder (absent when the database step failed: nothing good was kept). */
  folder: string | null;
  failedStep: StepName | null;
  error: string | null;
  steps: StepReport[];
  warnings: string[];
  dump: DumpFigures | null;
  /**
   * Immich as the run saw it: its server's version (null: not reachable), the newest
   * kysely_migrations row in the dump (null: none), and the copy placed in IMMICH_BACKUPS_PATH.
   */
  immich?: ImmichFigures;
  snapshots: { backups?: SnapshotRef; library?: SnapshotRef };
  /** The Kopia repository this run checked and snapshotted to (null: Kopia disabled, or the check failed). */
  repository: RepositoryFacts | null;
  /** true only when both snapshots of this run are in an offsite repository. */
  offsite: boolean;
  /** While running: the current step's figures (bytes, rows, files). */
  progress?: Record<string, unknown>;
}

/** A report with nothing done yet: the one shape a backup run and a restore test both start from. */
export function newRunReport(parts: { runId: string; trigger: RunTrigger; startedAt: Date }): RunReport {
  return {
    runId: parts.runId,
    status: 'running',
    exitCode: null,
    trigger: parts.trigger,
    startedAt: parts.startedAt.toISOString(),
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
}

/** What `verify` (the restore test) found: kept in the state file for /status and /metrics. */
export interface VerifyResult {
  ok: boolean;
  runId: string | null;
  checkedAt: string;
  durationMs: number;
  tablesChecked: number;
  rowsChecked: number;
  /** Each problem found, one line each (a table whose rows differ, an object missing...). */
  problems: string[];
  /** Database-to-library cross-check; null when there was no Kopia or no asset table. */
  files: { checked: number; missing: number; examples: string[]; snapshotId: string; external?: ExternalFiles } | null;
  /**
   * Why the restore test stopped before it finished when it was stopped from outside (SIGTERM,
   * Ctrl-C): such a result says nothing about the backup, and is neither recorded nor notified.
   */
  interrupted?: string;
  /**
   * Set when the test was stopped part-way (a stop or VERIFY_TIMEOUT): how many of `problems` it had
   * found before; the rest say that it stopped. Not recorded.
   */
  stoppedAfter?: number;
}

/**
 * Assets of Immich's external libraries: never in the upload location's snapshot, so never counted
 * missing from it. `checked`: those whose library folder is mounted in the sidecar, looked up there.
 */
export interface ExternalFiles {
  count: number;
  checked: number;
  missing: number;
  examples: string[];
}
