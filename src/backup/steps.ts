import type { SidecarConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { copyConfigFiles } from './config-copy.ts';
import { dumpStep } from './dump-step.ts';
import { createKopiaBackupClient } from './kopia-adapter.ts';
import { kopiaSteps } from './kopia-step.ts';
import { checkLibrary } from './library-check.ts';
import { applyRetention } from './retention.ts';
import type { BackupSteps } from './run.ts';

/**
 * The real steps of a run, from the configuration. `signal`: the program is stopping (SIGTERM):
 * requests to the Kopia server are cut (the dump has the run's signal through its step context).
 */
export function createSteps(config: SidecarConfig, log: Logger, signal?: AbortSignal): BackupSteps {
  const steps: BackupSteps = {
    dump: dumpStep(config),
    checkLibrary: () => checkLibrary(config.libraryPath),
    copyConfig: (folder) => copyConfigFiles(config.configFiles, folder, config.configFilesOptional),
    retention: (context) =>
      applyRetention(config.backupDir, { keepDays: config.keepDays, keepMin: config.keepMin }, { currentRunId: context.runId, log }),
  };
  if (config.kopia.enabled) {
    Object.assign(steps, kopiaSteps(createKopiaBackupClient(config.kopia.connection, log, signal), config.kopia, config.backupDir));
  }
  return steps;
}
