import { formatBytes, formatDuration } from '../format.ts';
import { formatLocalTime } from '../time.ts';
import type { Notification } from './notifier.ts';

export interface Message {
  title: string;
  /** Plain text lines, no markup. */
  lines: string[];
  severity: 'info' | 'success' | 'warning' | 'error';
}

function immichLine(notification: Notification): string | undefined {
  const immich = notification.run.immich;
  if (immich === undefined) return undefined;
  const version = immich.version === null ? 'Immich version unknown' : `Immich v${immich.version}`;
  return `${version}${immich.migration === null ? '' : `, newest migration ${immich.migration}`}`;
}

/** The human form of a notification, shared by the chat notifiers so that they all say the same. */
export function describe(notification: Notification): Message {
  const { run, event, host } = notification;
  const lines: string[] = [];
  if (notification.subject === 'restore-test') {
    if (run.error !== null) lines.push(`Problems: ${run.error}`);
    lines.push(`Restore test (${run.runId}, ${run.trigger}), ${run.durationMs === null ? 'running' : formatDuration(run.durationMs)}`);
    for (const warning of run.warnings) lines.push(`Warning: ${warning}`);
    return event === 'success'
      ? { title: `Immich restore test passed on ${host}`, lines, severity: 'success' }
      : { title: `Immich restore test failed on ${host}`, lines, severity: 'error' };
  }
  if (event === 'start') {
    return { title: `Immich backup started on ${host}`, lines: [`Run ${run.runId} (${run.trigger}), started ${formatLocalTime(run.startedAt)}`], severity: 'info' };
  }
  if (event === 'skipped') {
    lines.push(`Skipped: ${run.error ?? 'no reason given'}`, 'No new backup was made; the next scheduled run will try again.');
  }
  if (event === 'failure') {
    // A run that could not start (BACKUP_DIR full or not writable) failed before any step.
    if (run.failedStep !== null) lines.push(`Failed step: ${run.failedStep}`);
    if (run.error !== null) lines.push(`Error: ${run.error}`);
    if (run.exitCode === 2) lines.push('The local backup was kept; the offsite copy (Kopia) is missing for this run.');
    if (run.exitCode === 1) lines.push('No new backup was made.');
  }
  lines.push(`Run ${run.runId} (${run.trigger}), started ${formatLocalTime(run.startedAt)}, ${run.durationMs === null ? 'running' : formatDuration(run.durationMs)}`);
  if (run.dump !== null) {
    lines.push(
      `Database ${run.dump.database} (PostgreSQL ${run.dump.serverVersion}): ${formatBytes(run.dump.size)}, ` +
        `${run.dump.tables} tables, ${run.dump.rows.toLocaleString('en-US')} rows`,
    );
  }
  if (run.steps.some((step) => step.name.startsWith('kopia-')) || run.repository !== null) {
    // The reason the product exists: say in every backup notification whether this run is offsite.
    const where = run.repository?.description ?? 'the Kopia repository could not be checked';
    lines.push(run.offsite ? `Offsite: yes, ${where}` : `Offsite: NO (${where})`);
  }
  const immich = immichLine(notification);
  if (immich !== undefined) lines.push(immich);
  if (run.immich?.copy !== undefined) lines.push(`Copy for Immich's web restore: ${run.immich.copy}`);
  for (const [name, snapshot] of Object.entries(run.snapshots)) {
    if (snapshot === undefined) continue;
    const size = snapshot.totalSize === undefined ? '' : `, ${formatBytes(snapshot.totalSize)}`;
    const files = snapshot.fileCount === undefined ? '' : `, ${snapshot.fileCount.toLocaleString('en-US')} files`;
    lines.push(`Kopia ${name} snapshot ${snapshot.id}${size}${files}`);
  }
  for (const warning of run.warnings) lines.push(`Warning: ${warning}`);
  if (event === 'skipped') return { title: `Immich backup skipped on ${host}`, lines, severity: 'warning' };
  return event === 'success'
    ? { title: `Immich backup succeeded on ${host}`, lines, severity: 'success' }
    : { title: `Immich backup FAILED on ${host}`, lines, severity: 'error' };
}
