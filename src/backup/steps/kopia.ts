/**
 * Steps "kopia-repository", "kopia-backups" and "kopia-library", the offsite part of a run: the
 * Kopia server is checked to write to the repository this sidecar has always used, then the run
 * folders and the photo library are snapshotted. A failure here never makes the local backup less
 * good; the run exits 2.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KopiaConnection, SidecarConfig } from '../../config.ts';
import type { Logger } from '../../log.ts';
import { throttleProgress } from '../../progress.ts';
import { KopiaClient, KopiaError, type Progress } from '../../kopia/client.ts';
import { repositoryFacts, type RepositoryFacts } from '../../kopia/repository.ts';
import type { RepoStatus } from '../../kopia/schemas.ts';
import { formatDuration } from '../../format.ts';
import type { SnapshotRef } from '../../report.ts';
import { readManifest, runFolderTime } from '../run-folders.ts';
import { loadState, type KnownRepository, type SidecarState } from '../state.ts';
import { stepResult, type StepContext, type StepResult } from './step.ts';

/** What the run needs from Kopia; implemented over the Kopia server REST client by createKopiaBackupClient below. */
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
  /** Snapshots of `path` (as the Kopia server sees it), newest first; `incomplete`: why one stopped half-way. */
  listSnapshots(path: string): Promise<(SnapshotRef & { description?: string; incomplete?: string })[]>;
  /**
   * Files under `path` as the Kopia server sees it, counted until `atLeast` are found (complete:
   * false then); undefined when the server cannot count.
   */
  countFiles?(path: string, atLeast: number, signal: AbortSignal): Promise<{ files: number; complete: boolean } | undefined>;
}

/**
 * The run's view of Kopia, implemented with the REST client of src/kopia. `signal`: the program is
 * stopping (SIGTERM); every request to the Kopia server is cut.
 */
export function createKopiaBackupClient(connection: KopiaConnection, log: Logger, signal?: AbortSignal): KopiaBackupClient {
  const client = new KopiaClient(connection, signal === undefined ? {} : { signal });
  const sourceName = async (path: string) => {
    const source = await client.source(path);
    return `${source.userName}@${source.host}:${source.path}`;
  };
  return {
    status: () => client.status(),
    taskProblem: (taskId) => client.taskProblem(taskId),
    async createDefaultRepository(path, password) {
      const outcome = await client.createFilesystemRepositoryIfMissing(path, password);
      log.info({ path, outcome }, 'Kopia default filesystem repository ready');
      return outcome;
    },
    async snapshotIds(paths) {
      const ids = new Set<string>();
      for (const path of paths) for (const snapshot of await client.listSnapshots(path)) ids.add(snapshot.id);
      return ids;
    },
    async ensureRetention(path, retention) {
      await client.ensureSource(path, { retention });
    },
    async snapshot(path, { description, signal, timeoutMs, onProgress }) {
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
      const logProgress = throttleProgress(30_000, (progress: Progress) => log.info({ path, ...progress }, 'Kopia snapshot progress'), { immediateFirst: true });
      const result = await client.snapshot(path, {
        signal: deadline,
        onProgress: (progress) => {
          onProgress({ ...progress });
          logProgress(progress);
        },
      });
      // Tags cannot be set through the API; the description names the run (and changes the id).
      const id = await client.setDescription(result.snapshotId, description);
      const ref: SnapshotRef = {
        id,
        source: `${result.source.userName}@${result.source.host}:${result.source.path}`,
        startTime: result.startTime,
        totalSize: result.stats.bytes,
        fileCount: result.stats.files,
      };
      if (result.endTime !== undefined) ref.endTime = result.endTime;
      return ref;
    },
    async countFiles(path, atLeast, signal) {
      return client.countFiles(path, atLeast, signal);
    },
    async listSnapshots(path) {
      const source = await sourceName(path);
      const snapshots = await client.listSnapshots(path);
      return snapshots.reverse().map((snapshot) => {
        const ref: SnapshotRef & { description?: string; incomplete?: string } = {
          id: snapshot.id,
          source,
          startTime: snapshot.startTime,
          description: snapshot.description,
        };
        if (snapshot.incomplete !== undefined) ref.incomplete = snapshot.incomplete;
        if (snapshot.endTime !== undefined) ref.endTime = snapshot.endTime;
        if (snapshot.summary?.size !== undefined) ref.totalSize = snapshot.summary.size;
        if (snapshot.summary?.files !== undefined) ref.fileCount = snapshot.summary.files;
        return ref;
      });
    },
  };
}

/**
 * A library snapshot must not be mistaken for a backup when the library is not there: a mount
 * that did not come up shows Kopia an empty (or nearly empty) folder. The folder is counted before
 * the snapshot (so no such snapshot is made), and the snapshot's own count is checked after it.
 */
async function checkLibraryFileCount(
  client: KopiaBackupClient,
  path: string,
  minRatio: number,
  context: StepContext,
): Promise<{ needed: number; describe(files: number): string }> {
  // A snapshot stopped half-way counts only the files it reached: the previous complete one is the measure.
  const previous = (await client.listSnapshots(path)).find((snapshot) => snapshot.incomplete === undefined && snapshot.fileCount !== undefined)?.fileCount;
  const needed = previous === undefined || minRatio === 0 ? 1 : Math.max(1, Math.ceil(previous * minRatio));
  const describe = (files: number) =>
    files === 0
      ? `the library folder ${path} (KOPIA_LIBRARY_PATH, as the Kopia server sees it) holds no files: is the library mounted into the kopia service? Refusing to snapshot it`
      : `the library folder ${path} (KOPIA_LIBRARY_PATH, as the Kopia server sees it) holds ${files} files, fewer than ${Math.round(minRatio * 100)} % of the previous snapshot's ${previous}: is the library mounted into the kopia service? Refusing to snapshot it (KOPIA_LIBRARY_MIN_RATIO=${minRatio}; set 0 to allow a big deletion)`;
  const counted = await client.countFiles?.(path, needed, context.signal);
  if (counted === undefined) context.log.debug({ path }, 'the Kopia server cannot count files; the snapshot is checked afterwards');
  else if (counted.files < needed) throw new Error(describe(counted.files));
  return { needed, describe };
}

export interface RepositoryCheck {
  repository: RepositoryFacts;
  /** The default local repository was created by this run (first run only). */
  created: boolean;
  warnings: string[];
}

export const notOffsiteWarning = 'NOT OFFSITE:';
const notOffsiteRepeatMs = 20 * 3_600_000;

/**
 * Without a state file (deleted, or a new sidecar on old backups), the newest run folder whose
 * manifest recorded a repository says which one this sidecar used: it is never "a first run".
 */
async function repositoryFromManifests(backupDir: string): Promise<KnownRepository | undefined> {
  const names = (await readdir(backupDir).catch(() => [] as string[])).filter((name) => runFolderTime(name) !== undefined).sort().reverse();
  for (const name of names) {
    const { manifest } = await readManifest(join(backupDir, name));
    const recorded = manifest?.kopia?.repository;
    if (manifest === null || recorded === undefined || recorded === null) continue;
    const { apiServerURL, ...facts } = recorded;
    return {
      ...facts,
      ...(apiServerURL === undefined ? {} : { apiServerURL }),
      firstSeenAt: manifest.startedAt,
      lastSeenAt: manifest.finishedAt ?? manifest.startedAt,
      snapshotIds: [manifest.kopia?.backups?.id, manifest.kopia?.library?.id].filter((id): id is string => id !== undefined),
    };
  }
  return undefined;
}

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
    const state = await loadState(backupDir, context.log);
    const known = state.repository ?? (await repositoryFromManifests(backupDir));
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

  const snapshotOf = (path: string, what: 'backups' | 'library') => async (context: StepContext): Promise<SnapshotRef> => {
    await client.ensureRetention(path, config.retention);
    const sanity = what === 'library' ? await checkLibraryFileCount(client, path, config.libraryMinRatio, context) : undefined;
    const ref = await client.snapshot(path, {
      description: `immich-backup ${context.runId} ${what}`,
      signal: context.signal,
      timeoutMs: config.snapshotTimeoutMs,
      onProgress: (figures) => context.progress(figures),
    });
    if (sanity !== undefined && ref.fileCount !== undefined && ref.fileCount < sanity.needed) {
      throw new Error(`${sanity.describe(ref.fileCount)} (snapshot ${ref.id} was made of it)`);
    }
    return ref;
  };
  return {
    checkRepository,
    snapshotBackups: snapshotOf(config.backupsPath, 'backups'),
    snapshotLibrary: snapshotOf(config.libraryPath, 'library'),
  };
}

export function summarizeRepositoryCheck(check: RepositoryCheck): StepResult {
  return stepResult({
    summary: `${check.repository.description}${check.repository.offsite ? ' (offsite)' : ' (NOT offsite)'}${check.created ? ', created by this run' : ''}`,
    details: { ...check.repository, created: check.created },
    warnings: check.warnings,
  });
}

export function summarizeSnapshot(snapshot: SnapshotRef): StepResult {
  return stepResult({ summary: `snapshot ${snapshot.id} of ${snapshot.source}`, details: { ...snapshot } });
}

/** Why a snapshot step was not attempted (its report's summary, status "skipped"). */
export function snapshotSkippedSummary(reason: 'disabled' | 'repository-check-failed'): string {
  return reason === 'disabled' ? 'Kopia is disabled' : 'not attempted: the Kopia repository check failed';
}

export const kopiaDisabledWarning = 'Kopia is disabled (KOPIA_ENABLED=false): this backup is local only';
