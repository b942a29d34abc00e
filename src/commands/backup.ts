import type { Command } from './command.ts';
import { loadSidecarConfig } from '../config.ts';
import { formatBytes, formatDuration } from '../format.ts';
import type { RunReport } from '../report.ts';
import { formatLocalTime } from '../time.ts';
import { notifiersFromConfig, notifyAll, type NotificationEvent } from '../notify/index.ts';
import { ExitCode, UserError } from '../errors.ts';

export function describeRun(report: RunReport): string {
  const lines = [
    `${report.status === 'success' ? 'OK' : report.status === 'skipped' ? 'SKIPPED' : 'FAILED'}: run ${report.runId} (exit ${report.exitCode}), started ${formatLocalTime(report.startedAt)}, ${formatDuration(report.durationMs ?? 0)}`,
  ];
  for (const step of report.steps) {
    lines.push(`  ${step.status.padEnd(8)} ${step.name.padEnd(14)} ${formatDuration(step.durationMs).padStart(10)}  ${step.error ?? step.summary ?? ''}`);
  }
  if (report.dump) lines.push(`  dump: ${formatBytes(report.dump.size)}, ${report.dump.tables} tables, ${report.dump.rows} rows`);
  if (report.immich) {
    lines.push(`  immich: ${report.immich.version === null ? 'version unknown' : `v${report.immich.version}`}${report.immich.migration === null ? '' : `, newest migration ${report.immich.migration}`}`);
    if (report.immich.copy) lines.push(`  copy for Immich's web restore: ${report.immich.copy}`);
  }
  if (report.folder) lines.push(`  folder: ${report.folder}`);
  for (const warning of report.warnings) lines.push(`  warning: ${warning}`);
  if (report.error) lines.push(`  error: ${report.error}`);
  return `${lines.join('\n')}\n`;
}

const command: Command = {
  name: 'backup',
  summary: 'Run one backup now: dump, config copy, local retention, Kopia snapshots of the backups and the library.',
  help: [
    'Exit codes: 0 ok; 1 the database step failed (no new backup); 2 a Kopia step failed (the local',
    'backup was kept); 75 another run is in progress or Immich stayed in maintenance mode (nothing',
    'done); 78 invalid configuration.',
    'Configuration comes from the environment (see README); notifications are sent as in service mode.',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
  },
  async run(args, context) {
    const config = loadSidecarConfig(context.env);
    // Loaded after the configuration is known good: a bad variable is reported before anything else.
    const { createSteps } = await import('../backup/steps/index.ts');
    const { notStartedReport, runBackup } = await import('../backup/run.ts');
    const { runFolderName } = await import('../backup/run-folders.ts');
    const { runStartupChecks } = await import('../backup/preflight.ts');
    // Each failed check is said with its fix before anything runs. Only an unwritable backups
    // folder stops here (nothing could be written); the run reports the others as its own failures.
    const checks = await runStartupChecks(config, { signal: context.signal });
    for (const check of checks.filter((result) => !result.ok)) context.log.error({ check: check.name }, check.message);
    const notifiers = notifiersFromConfig(config.notify);
    const notify = (event: NotificationEvent, run: RunReport) => notifyAll(event, run, { ...config.notify, notifiers, log: context.log, stopping: context.signal });
    const backupsFolder = checks.find((check) => check.name === 'backups-folder');
    if (backupsFolder !== undefined && !backupsFolder.ok) {
      // A failed run like any other for the notifiers (a full disk must not stop backups unheard of).
      const now = new Date();
      await notify('failure', notStartedReport(runFolderName(now), 'manual', now, now, backupsFolder.message));
      throw new UserError(backupsFolder.message, { exitCode: ExitCode.databaseFailed });
    }
    const report = await runBackup({
      backupDir: config.backupDir,
      steps: createSteps(config, context.log, context.signal),
      log: context.log,
      signal: context.signal,
      trigger: 'manual',
      notify,
    });
    context.stdout.write(args.values.json === true ? `${JSON.stringify(report, null, 2)}\n` : describeRun(report));
    return report.exitCode ?? 1;
  },
};

export default command;
