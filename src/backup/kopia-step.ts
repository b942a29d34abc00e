import { setTimeout as sleep } from 'node:timers/promises';
import type { SidecarConfig } from '../config.ts';
import { KopiaError } from '../kopia/client.ts';
import { repositoryFacts, type RepositoryFacts } from '../kopia/repository.ts';
import type { RepoStatus } from '../kopia/schemas.ts';
import type { SnapshotRef } from './report.ts';
import type { StepContext } from './run.ts';
import { loadState, type KnownRepository, type SidecarState } from './state.ts';
import { formatDuration } from './report.ts';

/** What the run needs from Kopia; implemented over the Kopia server REST client (kopia-adapter.ts). */
export interface KopiaBackupClient {
  status(): Promise<RepoStatus>;
  /** What the server's repository-opening task last complained about, if anything. */
  taskProblem(taskId: string): Promise<string | undefined>;
  /** Creates (or connects to an existing) filesystem repository at `path` on a server that has none configured. */
  createDefaultRepository(path: string, password: string): Promise<'created' | 'connected' | 'already-connected'>;
  /** Ids of every snapshot of these paths (as the Kopia server sees them) in the connected repository. */
  snapshotIds(paths: string[]): Promise<Set<string>>;
  /** Sets the source's retention policy (idempotent). */
  ensureRetention(path: string, retention: SidecarConfig['kopia']['retention']): Promise<void>;
  /** Snapshots `path` and waits for it; progress as files/bytes figures. */
  snapshot(
    path: string,
    options: { description: string; signal: AbortSignal; timeoutMs: number; onProgress(figures: Record<string, unknown>): void },
  ): Promise<SnapshotRef>;
  /** Snapshots of `path` (as the Kopia server sees it), newest first. */
  listSnapshots(path: string): Promise<(SnapshotRef & { description?: string })[]>;
}

export interface RepositoryCheck {
  repository: RepositoryFacts;
  /** The default local repository was created by this run (first run only). */
  created: boolean;
  warnings: string[];
}

export const notOffsiteWarning = 'NOT OFFSITE:';
const notOffsiteRepeatMs = 20 * 3_600_000;

/** The "not offsite" warning goes into a run's notification at most about once a day. */
function warnedRecently(state: SidecarState, now: number): boolean {
  return state.runs.some(
    (run) => Date.parse(run.startedAt) > now - notOffsiteRepeatMs && run.warnings.some((warning) => warning.startsWith(notOffsiteWarning)),
  );
}

function expected(known: KnownRepository | undefined): string {
  return known === undefined ? 'the repository it is configured for' : `${known.description} (id ${known.id})`;
}

/**
 * The Kopia steps. `checkRepository` runs first and makes sure the server writes to the repository
 * this sidecar has always written to (README "Offsite"):
 *
 * - a server that is still opening its repository (`--async-repo-connect`: after a restart, or
 *   retrying an offline vault or a wrong password) is waited for, up to KOPIA_CONNECT_TIMEOUT, and
 *   then the run fails with what the server reports;
 * - the default local repository is created only on a first run that has never seen a repository,
 *   on a server with none configured: a server that lost its repository, or is connected to another
 *   one, fails the run. Nothing here disconnects, replaces or creates over a configured repository.
 */
export function kopiaSteps(client: KopiaBackupClient, config: SidecarConfig['kopia'], backupDir: string) {
  const checkRepository = async (context: StepContext): Promise<RepositoryCheck> => {
    const state = await loadState(backupDir);
    const known = state.repository;
    const deadline = Date.now() + config.connectTimeoutMs;
    let status = await client.status();
    let waiting = false;
    while (!status.connected && status.initTaskID !== undefined && status.initTaskID !== '') {
      if (Date.now() >= deadline) {
        const problem = await client.taskProblem(status.initTaskID);
        throw new KopiaError(
          `the Kopia server has not opened its repository after waiting ${formatDuration(config.connectTimeoutMs)}` +
            ` (it keeps trying${problem === undefined ? '' : `; it reports: ${problem}`}); expected ${expected(known)}.` +
            ' Is the vault reachable, and is the repository password the Kopia server starts with right?',
          { code: 'NOT_CONNECTED' },
        );
      }
      if (!waiting) {
        waiting = true;
        context.log.info({ expected: known?.description, timeoutMs: config.connectTimeoutMs }, 'the Kopia server is still opening its repository: waiting');
      }
      await sleep(Math.min(2000, Math.max(1, deadline - Date.now())), undefined, { signal: context.signal });
      status = await client.status();
    }

    let created = false;
    if (!status.connected) {
      if (known !== undefined) {
        throw new KopiaError(
          `the Kopia server is not connected to any repository, but this sidecar backs up to ${expected(known)}:` +
            ' reconnect the Kopia server to it (README "Offsite"). The sidecar never connects or creates a repository in its place.',
          { code: 'NOT_CONNECTED' },
        );
      }
      if (config.repositoryPassword === undefined) {
        throw new KopiaError(
          'the Kopia server has no repository connected, and KOPIA_REPOSITORY_PASSWORD is not set to create the default one: connect the Kopia server to your repository, or set KOPIA_REPOSITORY_PASSWORD',
          { code: 'NOT_CONNECTED' },
        );
      }
      const outcome = await client.createDefaultRepository(config.defaultRepositoryPath, config.repositoryPassword);
      created = outcome === 'created';
      context.log.warn({ path: config.defaultRepositoryPath, outcome }, 'first run: the default Kopia repository (a local volume) is ready');
      status = await client.status();
    }

    const repository = repositoryFacts(status);
    if (known !== undefined) {
      if (repository.id !== known.id) {
        throw new KopiaError(
          `the Kopia server is connected to a different repository: expected ${expected(known)}, the server reports ${repository.description} (id ${repository.id}).` +
            ' Nothing was snapshotted. If you moved to this repository on purpose, run: immich-backup kopia accept',
          { code: 'OTHER_REPOSITORY' },
        );
      }
      if (known.snapshotIds.length > 0) {
        const present = await client.snapshotIds([config.backupsPath, config.libraryPath]);
        if (!known.snapshotIds.some((id) => present.has(id))) {
          throw new KopiaError(
            `the Kopia server is connected to ${repository.description}, but it holds none of the ${known.snapshotIds.length} snapshots this sidecar made` +
              ` in ${expected(known)} (newest: ${known.snapshotIds[0]}): it is another repository. Nothing was snapshotted.` +
              ' If you moved to this repository on purpose, run: immich-backup kopia accept',
            { code: 'OTHER_REPOSITORY' },
          );
        }
      }
    }
    const warnings: string[] = [];
    if (!repository.offsite && !warnedRecently(state, Date.now())) {
      warnings.push(
        `${notOffsiteWarning} Kopia writes to a ${repository.description} on this machine, a second copy but not an offsite one: see README "Offsite" to connect it to your vault`,
      );
    }
    return { repository, created, warnings };
  };

  const snapshotOf = (path: string, what: string) => async (context: StepContext): Promise<SnapshotRef> => {
    await client.ensureRetention(path, config.retention);
    return client.snapshot(path, {
      description: `immich-backup ${context.runId} ${what}`,
      signal: context.signal,
      timeoutMs: config.snapshotTimeoutMs,
      onProgress: (figures) => context.progress(figures),
    });
  };
  return {
    checkRepository,
    snapshotBackups: snapshotOf(config.backupsPath, 'backups'),
    snapshotLibrary: snapshotOf(config.libraryPath, 'library'),
  };
}
