import type { SidecarConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { SnapshotRef } from './report.ts';
import type { StepContext } from './run.ts';

/** What the run needs from Kopia; implemented over the Kopia server REST client (kopia-adapter.ts). */
export interface KopiaBackupClient {
  /**
   * Makes sure the server has a repository. Out of the box the server has none: then a
   * filesystem repository is created at `defaultPath` (a volume of the kopia service).
   * Returns what it is connected to, for the "not offsite" warning.
   */
  ensureRepository(options: { defaultPath: string; password?: string; log: Logger }): Promise<{ storage: string; created: boolean; offsite: boolean }>;
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

/**
 * The two Kopia steps. The repository check runs once per run, before the first snapshot, and
 * says loudly when the repository is the local default (a second copy, not an offsite one).
 */
export function kopiaSteps(client: KopiaBackupClient, config: SidecarConfig['kopia']) {
  let ready: Promise<void> | undefined;
  const ensureReady = (log: Logger) => {
    ready ??= client
      .ensureRepository({
        defaultPath: config.defaultRepositoryPath,
        ...(config.repositoryPassword === undefined ? {} : { password: config.repositoryPassword }),
        log,
      })
      .then((repository) => {
        if (repository.created) log.warn({ storage: repository.storage }, 'created the default Kopia repository (a local volume)');
        if (!repository.offsite) {
          log.warn(
            { storage: repository.storage },
            'Kopia repository is a local filesystem volume: NOT offsite yet; see README "Offsite" to point it at your vault',
          );
        }
      })
      .catch((error: unknown) => {
        ready = undefined; // try again next time
        throw error;
      });
    return ready;
  };
  const snapshotOf = (path: string, what: string) => async (context: StepContext): Promise<SnapshotRef> => {
    await ensureReady(context.log);
    await client.ensureRetention(path, config.retention);
    return client.snapshot(path, {
      description: `immich-backup ${context.runId} ${what}`,
      signal: context.signal,
      timeoutMs: config.snapshotTimeoutMs,
      onProgress: (figures) => context.progress(figures),
    });
  };
  return {
    snapshotBackups: snapshotOf(config.backupsPath, 'backups'),
    snapshotLibrary: snapshotOf(config.libraryPath, 'library'),
  };
}
