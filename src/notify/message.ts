import { formatBytes, formatDuration } from '../backup/report.ts';
import { formatLocalTime } from '../time.ts';
import type { Notification } from './notifier.ts';

export interface Message {
  title: string;
  /** Plain text lines, no markup. */
  lines: string[];
  severity: 'info' | 'success' | 'error';
}

/** The human form of a notification, shared by the chat notifiers so that they all say the same. */
export function describe(notification: Notification): Message {
  const { run, event, host } = notification;
  const lines: string[] = [];
  if (event === 'start') {
    return { title: `Immich backup started on ${host}`, lines: [`Run ${run.runId} (${run.trigger}), started ${formatLocalTime(run.startedAt)}`], severity: 'info' };
  }
  if (event === 'failure') {
    lines.push(`Failed step: ${run.failedStep ?? 'unknown'}`);
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
  for (const [name, snapshot] of Object.entries(run.snapshots)) {
    if (snapshot === undefined) continue;
    const size = snapshot.totalSize === undefined ? '' : `, ${formatBytes(snapshot.totalSize)}`;
    const files = snapshot.fileCount === undefined ? '' : `, ${snapshot.fileCount.toLocaleString('en-US')} files`;
    lines.push(`Kopia ${name} snapshot ${snapshot.id}${size}${files}`);
  }
  for (const warning of run.warnings) lines.push(`Warning: ${warning}`);
  return event === 'success'
    ? { title: `Immich backup succeeded on ${host}`, lines, severity: 'success' }
    : { title: `Immich backup FAILED on ${host}`, lines, severity: 'error' };
}
