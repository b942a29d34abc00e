import type { Command } from './command.ts';
import { loadSidecarConfig } from '../config.ts';
import { collectStatus, type Status } from '../http/status.ts';
import { formatBytes, formatDuration } from '../format.ts';
import { formatLocalTime } from '../time.ts';

/** For people: every time in the schedule's zone, with its offset. */
export function describeStatus(status: Status): string {
  const zone = status.timeZone ?? undefined;
  const lines = [`${status.healthy ? 'HEALTHY' : 'UNHEALTHY'}: ${status.reason}`];
  for (const check of status.checks) lines.push(`check ${check.name.padEnd(14)} ${check.ok ? 'ok    ' : 'FAILED'} ${check.message}`);
  if (status.nextRun) lines.push(`next run: ${formatLocalTime(status.nextRun, zone)} (${status.schedule}, ${status.timeZone})`);
  if (status.running) lines.push(`running: ${status.running.runId} since ${formatLocalTime('startedAt' in status.running ? status.running.startedAt : status.running.since, zone)}`);
  if (status.lastRun) {
    const run = status.lastRun;
    lines.push(
      `last run: ${run.runId} ${run.status} (exit ${run.exitCode}) at ${formatLocalTime(run.finishedAt ?? run.startedAt, zone)}, ${formatDuration(run.durationMs ?? 0)}` +
        (run.error ? `\n  error: ${run.error}` : ''),
    );
  } else {
    lines.push('last run: none recorded');
  }
  if (status.lastSuccess && status.lastSuccess !== status.lastRun) lines.push(`last success: ${status.lastSuccess.runId} at ${formatLocalTime(status.lastSuccess.finishedAt ?? status.lastSuccess.startedAt, zone)}`);
  if (status.repository) lines.push(`kopia repository: ${status.repository.description} (id ${status.repository.id})`);
  if (status.offsite !== null) lines.push(status.offsite ? 'offsite: yes (the last run is in the offsite repository)' : 'offsite: NO (the last run has no offsite copy)');
  lines.push(`runs: ${status.counters.runs} finished, ${status.counters.failures} failed`);
  lines.push(`local backups (${status.localBackups.length}):`);
  for (const backup of status.localBackups) {
    const immich = backup.immich?.version ? `  Immich v${backup.immich.version}` : '';
    lines.push(`  ${backup.name.padEnd(30)} ${backup.state.padEnd(10)} ${formatBytes(backup.size).padStart(10)}${immich}${backup.reason ? `  (${backup.reason})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

const command: Command = {
  name: 'status',
  summary: 'Show the health, the last runs and the local backups (what GET /status returns).',
  help: 'Exit code 0 when healthy, 1 when not (same rule as /healthz).',
  options: { json: { type: 'boolean' } },
  async run(args, context) {
    const config = loadSidecarConfig(context.env);
    const { runStartupChecks } = await import('../backup/preflight.ts');
    const { nextRunAfter, systemTimeZone } = await import('../service/schedule.ts');
    const timeZone = config.timeZone ?? systemTimeZone();
    const status = await collectStatus({
      backupDir: config.backupDir,
      maxAgeMs: config.maxAgeMs,
      schedule: config.schedule,
      timeZone,
      nextRun: nextRunAfter(config.schedule, timeZone, new Date()),
      checks: await runStartupChecks(config),
    });
    context.stdout.write(args.values.json === true ? `${JSON.stringify(status, null, 2)}\n` : describeStatus(status));
    return status.healthy ? 0 : 1;
  },
};

export default command;
