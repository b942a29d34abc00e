/**
 * What a backup run reports: the webhook payload's `run`, the /status JSON, the state file and the
 * metrics all come from this one shape, so they can never disagree.
 */
import type { RepositoryFacts } from '../kopia/repository.ts';

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

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
