/**
 * The steps of a run, one file each in this folder (the orchestrator, src/backup/run.ts, decides
 * their order and what a failure of each stops):
 *
 *   immich.ts         "immich"            Immich's version and maintenance mode
 *   dump.ts           "dump"              the database dump
 *   library-check.ts  "library-check"     a look at the photo library
 *   config-copy.ts    "config-copy"       docker-compose.yml and .env
 *   manifest.ts       "manifest"          manifest.json, and the run folder gets its name
 *   immich-copy.ts    "immich-copy"       the copy for Immich's web restore
 *   retention.ts      "retention"         old run folders deleted
 *   kopia.ts          "kopia-repository", "kopia-backups", "kopia-library"   the offsite part
 *
 * Each step file turns its result into a StepResult (step.ts) with its own summary and warnings.
 */
import type { SidecarConfig } from '../../config.ts';
import type { ImmichCheck } from '../../immich/api.ts';
import type { Logger } from '../../log.ts';
import type { SnapshotRef } from '../../report.ts';
import { copyConfigFiles, type ConfigCopyResult } from './config-copy.ts';
import { dumpStep, restoringCheck, type DumpStepResult } from './dump.ts';
import { immichCopyStep, type ImmichCopySource } from './immich-copy.ts';
import { immichStep } from './immich.ts';
import { createKopiaBackupClient, kopiaSteps, type RepositoryCheck } from './kopia.ts';
import { checkLibrary, type LibraryCheck } from './library-check.ts';
import { retentionStep, type RetentionResult } from './retention.ts';
import type { StepContext } from './step.ts';

/**
 * The work of each step, injected so that the orchestration is the same for the real dump and
 * Kopia client and for tests of each failure. Optional steps are absent when switched off:
 * `checkImmich` with IMMICH_URL=off, `placeImmichCopy` without IMMICH_BACKUPS_PATH, the Kopia ones
 * with KOPIA_ENABLED=false.
 */
export interface BackupSteps {
  dump(file: string, context: StepContext): Promise<DumpStepResult>;
  checkLibrary(context: StepContext): Promise<LibraryCheck>;
  copyConfig(runFolder: string, context: StepContext): Promise<ConfigCopyResult>;
  retention(context: StepContext): Promise<RetentionResult>;
  /** Before the snapshots: is the Kopia server connected to the repository this sidecar uses? */
  checkRepository?(context: StepContext): Promise<RepositoryCheck>;
  /** Immich's version and maintenance mode, asked before the dump. */
  checkImmich?(context: StepContext): Promise<ImmichCheck>;
  /** Why no dump may be taken now (restore-db is restoring into the database), or undefined. */
  checkRestoring?(context: StepContext): Promise<string | undefined>;
  /** Places a copy of the dump in Immich's backups folder; returns its path. */
  placeImmichCopy?(source: ImmichCopySource, context: StepContext): Promise<string>;
  snapshotBackups?(context: StepContext): Promise<SnapshotRef>;
  snapshotLibrary?(context: StepContext): Promise<SnapshotRef>;
}

/**
 * The real steps of a run, from the configuration. `signal`: the program is stopping (SIGTERM):
 * requests to the Kopia server are cut (the dump has the run's signal through its step context).
 */
export function createSteps(config: SidecarConfig, log: Logger, signal?: AbortSignal): BackupSteps {
  const steps: BackupSteps = {
    dump: dumpStep(config),
    checkLibrary: () => checkLibrary(config.libraryPath),
    copyConfig: (folder) => copyConfigFiles(config.configFiles, folder, config.configFilesOptional),
    retention: retentionStep(config, log),
    checkRestoring: restoringCheck(config),
  };
  if (config.immich.url !== undefined) steps.checkImmich = immichStep(config, config.immich.url);
  if (config.immich.backupsPath !== undefined) steps.placeImmichCopy = immichCopyStep(config.immich.backupsPath);
  if (config.kopia.enabled) {
    Object.assign(steps, kopiaSteps(createKopiaBackupClient(config.kopia.connection, log, signal), config.kopia, config.backupDir));
  }
  return steps;
}
