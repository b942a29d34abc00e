import type { SidecarConfig } from '../config.ts';
import { checkImmich } from '../immich/api.ts';
import { maintenanceModeInDatabase } from '../immich/maintenance-db.ts';
import { immichCopyName, placeCopy, pruneCopies } from '../immich/backups-folder.ts';
import type { Logger } from '../log.ts';
import { copyConfigFiles } from './config-copy.ts';
import { dumpStep } from './dump-step.ts';
import { createKopiaBackupClient } from './kopia-adapter.ts';
import { kopiaSteps } from './kopia-step.ts';
import { checkLibrary } from './library-check.ts';
import { applyRetention } from './retention.ts';
import { listRunFolders } from './run-folders.ts';
import type { BackupSteps } from './run.ts';

/**
 * The real steps of a run, from the configuration. `signal`: the program is stopping (SIGTERM):
 * requests to the Kopia server are cut (the dump has the run's signal through its step context).
 */
export function createSteps(config: SidecarConfig, log: Logger, signal?: AbortSignal): BackupSteps {
  const immichBackups = config.immich.backupsPath;
  const steps: BackupSteps = {
    dump: dumpStep(config),
    checkLibrary: () => checkLibrary(config.libraryPath),
    copyConfig: (folder) => copyConfigFiles(config.configFiles, folder, config.configFilesOptional),
    async retention(context) {
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
    },
  };
  if (config.immich.url !== undefined) {
    const url = config.immich.url;
    steps.checkImmich = (context) =>
      checkImmich({
        url,
        timeoutMs: config.immich.apiTimeoutMs,
        maintenanceWaitMs: config.immich.maintenanceWaitMs,
        signal: context.signal,
        log: context.log,
        maintenanceFromDatabase: () => maintenanceModeInDatabase(config.database.connection, { signal: context.signal, timeoutMs: config.immich.apiTimeoutMs }),
      });
  }
  if (immichBackups !== undefined) {
    steps.placeImmichCopy = (source, context) =>
      placeCopy({
        source: source.dumpPath,
        sha256: source.sha256,
        size: source.size,
        directory: immichBackups,
        name: immichCopyName(source.runId, source.immichVersion, source.postgresVersion),
        signal: context.signal,
      });
  }
  if (config.kopia.enabled) {
    Object.assign(steps, kopiaSteps(createKopiaBackupClient(config.kopia.connection, log, signal), config.kopia, config.backupDir));
  }
  return steps;
}
