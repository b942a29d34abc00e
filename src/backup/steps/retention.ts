/**
 * Step "retention": old run folders are deleted (README "Local retention"), and with them their
 * copies in Immich's backups folder. Trouble here never fails a good backup: it is a warning.
 */
import { rm } from 'node:fs/promises';
import type { SidecarConfig } from '../../config.ts';
import { pruneCopies } from '../../immich/backups-folder.ts';
import type { Logger } from '../../log.ts';
import { errorMessage } from '../../errors.ts';
import { listRunFolders, type RunFolder } from '../run-folders.ts';
import { stepResult, type StepContext, type StepResult } from './step.ts';

export interface RetentionPolicy {
  /** Folders older than this many days may go (0: only the protected ones stay). */
  keepDays: number;
  /** The newest this-many good backups are never deleted, however old. */
  keepMin: number;
}

export interface RetentionDecision {
  folder: RunFolder;
  action: 'delete' | 'keep';
  reason: string;
}

const dayMs = 86_400_000;

/**
 * Decides, without touching anything, which run folders go. Rules (README "Local retention"):
 * 1. the run in progress (`currentRunId`) is never touched;
 * 2. the newest `keepMin` good backups (the current run's included, once complete) are kept
 *    whatever their age, so a tool that stopped succeeding never deletes its last good backups;
 *    a corrupt backup (a file that does not match its sha256) is never one of them;
 * 3. other folders (good, failed or incomplete) older than `keepDays` are deleted;
 * 4. a hidden `.immich-….partial` folder of another run is an interrupted run (runs never overlap,
 *    and the caller holds the run lock): deleted whatever its age, it can never become good.
 */
export function planRetention(
  folders: RunFolder[],
  policy: RetentionPolicy,
  options: { now: Date; currentRunId?: string },
): RetentionDecision[] {
  const protectedGood = new Set(
    folders
      .filter((folder) => folder.state === 'good')
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
      .slice(0, policy.keepMin)
      .map((folder) => folder.name),
  );
  const limit = options.now.getTime() - policy.keepDays * dayMs;
  return folders.map((folder): RetentionDecision => {
    if (folder.runId === options.currentRunId) return { folder, action: 'keep', reason: 'run in progress' };
    if (protectedGood.has(folder.name)) return { folder, action: 'keep', reason: `one of the newest ${policy.keepMin} good backups` };
    if (folder.partial) return { folder, action: 'delete', reason: 'interrupted run' };
    if (folder.startedAt.getTime() < limit) {
      return { folder, action: 'delete', reason: `older than ${policy.keepDays} days (${folder.state})` };
    }
    return { folder, action: 'keep', reason: `younger than ${policy.keepDays} days` };
  });
}

export interface RetentionResult {
  deleted: string[];
  kept: string[];
  errors: string[];
  /** Kept folders whose files do not match their manifest's sha256, with why: reported, never counted as good. */
  corrupt?: string[];
}

/** Applies `planRetention` to `backupDir`; a folder that cannot be deleted is reported, not fatal. */
export async function applyRetention(
  backupDir: string,
  policy: RetentionPolicy,
  options: { now?: Date; currentRunId?: string; log: Logger },
): Promise<RetentionResult> {
  const decisions = planRetention(await listRunFolders(backupDir), policy, {
    now: options.now ?? new Date(),
    ...(options.currentRunId === undefined ? {} : { currentRunId: options.currentRunId }),
  });
  const result: RetentionResult = { deleted: [], kept: [], errors: [], corrupt: [] };
  for (const decision of decisions) {
    if (decision.action === 'keep') {
      result.kept.push(decision.folder.name);
      if (decision.folder.state === 'corrupt') result.corrupt!.push(`${decision.folder.name}: ${decision.folder.reason ?? 'corrupt'}`);
      continue;
    }
    try {
      await rm(decision.folder.path, { recursive: true, force: true });
      result.deleted.push(decision.folder.name);
      options.log.info({ folder: decision.folder.name, reason: decision.reason }, 'retention: deleted old backup folder');
    } catch (error) {
      result.errors.push(`${decision.folder.name}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  return result;
}

/** The real step: the configured policy over BACKUP_DIR, then the copies in IMMICH_BACKUPS_PATH. */
export function retentionStep(config: SidecarConfig, log: Logger) {
  const immichBackups = config.immich.backupsPath;
  return async (context: StepContext): Promise<RetentionResult> => {
    const result = await applyRetention(config.backupDir, { keepDays: config.keepDays, keepMin: config.keepMin }, { currentRunId: context.runId, log });
    if (immichBackups !== undefined) {
      // The copies in Immich's folder live exactly as long as their run folder is a good backup.
      const good = new Set((await listRunFolders(config.backupDir)).filter((folder) => folder.state === 'good').map((folder) => folder.runId));
      const copies = await pruneCopies(immichBackups, good);
      for (const name of copies.deleted) log.info({ file: name, folder: immichBackups }, "retention: deleted a copy in Immich's backups folder");
      result.deleted.push(...copies.deleted.map((name) => `${immichBackups}/${name}`));
      result.errors.push(...copies.errors);
    }
    return result;
  };
}

export function summarizeRetention(result: RetentionResult): StepResult {
  return stepResult({
    summary: `${result.deleted.length} old folder(s) deleted, ${result.kept.length} kept`,
    details: { deleted: result.deleted, kept: result.kept.length },
    warnings: [
      ...result.errors.map((error) => `retention could not delete ${error}`),
      ...(result.corrupt ?? []).map((corrupt) => `local backup ${corrupt}: it is not restorable; check the disk`),
    ],
  });
}

/** The run's warning when the step failed as a whole (the backup itself is good). */
export function retentionFailedWarning(error: unknown): string {
  return `local retention failed: ${errorMessage(error)}`;
}
