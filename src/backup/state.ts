import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RepositoryFacts } from '../kopia/repository.ts';
import { withFileLock } from './lock.ts';
import type { RunReport, VerifyResult } from '../report.ts';

/**
 * A small state file in BACKUP_DIR: the last runs' reports and counters, so that /healthz,
 * /status and /metrics tell the same story after a restart, and a manual `backup` (docker exec)
 * shows up in the service's status. A run and a `verify` may both update it: every update is a
 * read-modify-write under its own short lock, written to a temporary file and renamed into place.
 */
export const stateFileName = '.immich-backup-state.json';
export const stateLockFileName = '.immich-backup-state.lock';

function updateState(backupDir: string, change: (state: SidecarState) => void): Promise<SidecarState> {
  return withFileLock(join(backupDir, stateLockFileName), async () => {
    const state = await loadState(backupDir);
    change(state);
    await saveState(backupDir, state);
    return state;
  });
}
const keptRuns = 30;

export interface SidecarState {
  version: 1;
  /** Newest first. */
  runs: RunReport[];
  counters: {
    runs: number;
    failures: number;
    failuresByStep: Record<string, number>;
  };
  /** The last restore test (`verify`), for /status and /metrics. */
  lastVerify?: VerifyResult;
  /**
   * The Kopia repository this sidecar backs up to: remembered from the first run (or set by
   * `immich-backup kopia connect|accept`), and checked at the start of every run. A server that
   * is not connected to it, or connected to another one, fails the run instead of being "fixed".
   */
  repository?: KnownRepository;
}

export interface KnownRepository extends RepositoryFacts {
  firstSeenAt: string;
  lastSeenAt: string;
  /** Ids of the newest snapshots made into it (newest first): a repository holding none of them is another one. */
  snapshotIds: string[];
}

const keptSnapshotIds = 20;

export function emptyState(): SidecarState {
  return { version: 1, runs: [], counters: { runs: 0, failures: 0, failuresByStep: {} } };
}

export async function loadState(backupDir: string): Promise<SidecarState> {
  try {
    const parsed = JSON.parse(await readFile(join(backupDir, stateFileName), 'utf8')) as SidecarState;
    if (parsed.version !== 1 || !Array.isArray(parsed.runs)) return emptyState();
    return parsed;
  } catch {
    return emptyState();
  }
}

export async function recordRun(backupDir: string, report: RunReport): Promise<SidecarState> {
  return updateState(backupDir, (state) => {
    state.runs = [report, ...state.runs.filter((run) => run.runId !== report.runId)].slice(0, keptRuns);
    state.counters.runs += 1;
    if (report.repository !== null) {
      const known = state.repository?.id === report.repository.id ? state.repository : undefined;
      const made = [report.snapshots.backups?.id, report.snapshots.library?.id].filter((id): id is string => id !== undefined);
      state.repository = {
        ...report.repository,
        firstSeenAt: known?.firstSeenAt ?? report.startedAt,
        lastSeenAt: report.finishedAt ?? report.startedAt,
        snapshotIds: [...made, ...(known?.snapshotIds ?? []).filter((id) => !made.includes(id))].slice(0, keptSnapshotIds),
      };
    }
    if (report.status === 'failed') {
      state.counters.failures += 1;
      const step = report.failedStep ?? 'unknown';
      state.counters.failuresByStep[step] = (state.counters.failuresByStep[step] ?? 0) + 1;
    }
  });
}

export async function recordVerify(backupDir: string, result: VerifyResult): Promise<SidecarState> {
  return updateState(backupDir, (state) => {
    state.lastVerify = result;
  });
}

/** Records the repository the user connected the server to on purpose (`immich-backup kopia connect|accept`). */
export async function recordRepository(backupDir: string, repository: RepositoryFacts, now = new Date()): Promise<SidecarState> {
  return updateState(backupDir, (state) => {
    state.repository = { ...repository, firstSeenAt: now.toISOString(), lastSeenAt: now.toISOString(), snapshotIds: [] };
  });
}

async function saveState(backupDir: string, state: SidecarState): Promise<void> {
  const path = join(backupDir, stateFileName);
  const temporary = `${path}.${process.pid}-${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
