import type { Command } from './command.ts';
import { loadSidecarConfig } from '../config.ts';
import { errorMessage } from '../errors.ts';
import { formatBytes } from '../format.ts';
import { listRunFolders } from '../backup/run-folders.ts';

const command: Command = {
  name: 'list',
  summary: 'List the local backups (run folders) and the Kopia snapshots of the backups and the library.',
  help: 'Local folders show their state: good, failed or incomplete (never restored by default). --json for machines.',
  options: { json: { type: 'boolean' }, local: { type: 'boolean' } },
  async run(args, context) {
    const config = loadSidecarConfig(context.env);
    const folders = await listRunFolders(config.backupDir);
    const local = folders.map((folder) => ({
      name: folder.name,
      state: folder.state,
      startedAt: folder.startedAt.toISOString(),
      size: folder.manifest?.files.reduce((sum, file) => sum + file.size, 0) ?? 0,
      rows: folder.manifest?.database?.tables.reduce((sum, table) => sum + table.rows, 0) ?? null,
      immichVersion: folder.manifest?.immich?.version ?? null,
      immichMigration: folder.manifest?.immich?.migration ?? null,
      ...(folder.reason === undefined ? {} : { reason: folder.reason }),
    }));
    let kopia: Record<string, unknown> | undefined;
    if (config.kopia.enabled && args.values.local !== true) {
      const { createKopiaBackupClient } = await import('../backup/steps/kopia.ts');
      const client = createKopiaBackupClient(config.kopia.connection, context.log);
      kopia = {};
      for (const [name, path] of [
        ['backups', config.kopia.backupsPath],
        ['library', config.kopia.libraryPath],
      ] as const) {
        try {
          kopia[name] = await client.listSnapshots(path);
        } catch (error) {
          kopia[name] = { error: errorMessage(error) };
        }
      }
    }
    if (args.values.json === true) {
      context.stdout.write(`${JSON.stringify({ local, kopia: kopia ?? null }, null, 2)}\n`);
      return 0;
    }
    const lines = [`Local backups in ${config.backupDir} (${local.length}):`];
    for (const folder of local) {
      lines.push(
        `  ${folder.name.padEnd(30)} ${folder.state.padEnd(10)} ${formatBytes(folder.size).padStart(10)}` +
          `${folder.rows === null ? '' : `  ${folder.rows} rows`}` +
          `${folder.immichVersion === null ? '' : `  Immich v${folder.immichVersion}`}` +
          `${folder.immichMigration === null ? '' : ` (${folder.immichMigration})`}${folder.reason ? `  (${folder.reason})` : ''}`,
      );
    }
    if (kopia !== undefined) {
      for (const [name, value] of Object.entries(kopia)) {
        lines.push(`Kopia snapshots of ${name === 'backups' ? config.kopia.backupsPath : config.kopia.libraryPath}:`);
        if (!Array.isArray(value)) {
          lines.push(`  error: ${(value as { error: string }).error}`);
          continue;
        }
        if (value.length === 0) lines.push('  none');
        for (const snapshot of value as { id: string; startTime?: string; totalSize?: number; fileCount?: number; description?: string; incomplete?: string }[]) {
          lines.push(
            `  ${snapshot.id.padEnd(34)} ${snapshot.startTime ?? ''}  ${snapshot.totalSize === undefined ? '' : formatBytes(snapshot.totalSize)}` +
              `${snapshot.fileCount === undefined ? '' : `, ${snapshot.fileCount} files`}  ${snapshot.description ?? ''}` +
              // Stopped half-way: it holds only the files it had reached.
              `${snapshot.incomplete === undefined ? '' : `  INCOMPLETE (${snapshot.incomplete}): not a whole backup`}`,
          );
        }
      }
    }
    context.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

export default command;
