import { loadSidecarConfig } from '../config.ts';
import { ExitCode } from '../errors.ts';
import type { Command } from './command.ts';

const command: Command = {
  name: 'verify',
  summary: 'Restore test: restore the newest backup into a scratch database and check it, and check the library snapshot.',
  help: [
    'Restores the newest complete dump in BACKUP_DIR into a scratch database on the same server (or on',
    'VERIFY_DATABASE_URL), compares every table with the manifest (rows and content hash) and the schema with',
    "Immich's live database, drops the scratch database, and checks that every original file the database",
    'references is in the newest Kopia snapshot of KOPIA_LIBRARY_PATH. Assets of external libraries are counted',
    'apart (they are not in that snapshot) and, where their import path is mounted in the sidecar, checked there.',
    'Exit 0 when everything holds, 1 otherwise.',
  ].join('\n'),
  options: {},
  async run(_args, context) {
    const config = loadSidecarConfig(context.env);
    const { verifyAndReport } = await import('../backup/verify.ts');
    const result = await verifyAndReport(config, { log: context.log, signal: context.signal, trigger: 'manual' });
    if (result.interrupted !== undefined) {
      context.stdout.write(
        `INTERRUPTED: restore test of ${result.runId ?? '(no backup)'} did not finish (${result.interrupted}): not recorded, it says nothing about the backup; run immich-backup verify again\n`,
      );
      return 1;
    }
    const lines = [
      `${result.ok ? 'OK' : 'FAILED'}: restore test of ${result.runId ?? '(no backup)'}: ${result.tablesChecked} tables, ${result.rowsChecked} rows checked`,
    ];
    if (result.files !== null) lines.push(`  files: ${result.files.checked} referenced, ${result.files.missing} missing from snapshot ${result.files.snapshotId}`);
    const external = result.files?.external;
    if (external !== undefined && external.count > 0) {
      lines.push(
        `  external libraries: ${external.count} files (not in the upload location's snapshot), ` +
          `${external.checked} checked in their mounted folders, ${external.missing} missing`,
      );
    }
    for (const problem of result.problems) lines.push(`  problem: ${problem}`);
    context.stdout.write(`${lines.join('\n')}\n`);
    return result.ok ? ExitCode.ok : 1;
  },
};

export default command;
