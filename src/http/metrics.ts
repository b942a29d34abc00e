import type { Status } from './status.ts';

type Sample = { labels?: Record<string, string>; value: number };

/** Prometheus text exposition format 0.0.4, by hand: a few gauges and counters. */
class Exposition {
  private readonly lines: string[] = [];

  add(name: string, type: 'gauge' | 'counter', help: string, samples: Sample[] | number | null | undefined): void {
    const list = typeof samples === 'number' ? [{ value: samples }] : (samples ?? []);
    if (list.length === 0) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const sample of list) {
      const labels = Object.entries(sample.labels ?? {});
      const labelText =
        labels.length === 0 ? '' : `{${labels.map(([key, value]) => `${key}="${value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
      this.lines.push(`${name}${labelText} ${Number.isFinite(sample.value) ? sample.value : 'NaN'}`);
    }
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

const seconds = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : undefined);

export function renderMetrics(status: Status): string {
  const out = new Exposition();
  const p = 'immich_backup_';
  const lastRun = status.lastRun;
  const lastSuccess = status.lastSuccess;
  out.add(`${p}healthy`, 'gauge', '1 when /healthz answers 200.', status.healthy ? 1 : 0);
  if (status.offsite !== null) {
    out.add(`${p}offsite`, 'gauge', "1 when the last run's snapshots are in an offsite repository (0: local only, or the offsite copy failed).", status.offsite ? 1 : 0);
  }
  out.add(
    `${p}startup_check_ok`,
    'gauge',
    'Start-up checks (backups folder writable, library and config files readable, Kopia answers): 1 passes, 0 fails (see /status checks).',
    status.checks.map((check) => ({ labels: { check: check.name }, value: check.ok ? 1 : 0 })),
  );
  out.add(`${p}running`, 'gauge', '1 while a backup run is in progress.', status.running ? 1 : 0);
  out.add(`${p}last_success_timestamp_seconds`, 'gauge', 'End of the last fully successful run (local and Kopia).', seconds(lastSuccess?.finishedAt));
  out.add(
    `${p}last_good_backup_timestamp_seconds`,
    'gauge',
    'End of the newest good local backup folder.',
    seconds(status.lastGoodBackup?.finishedAt),
  );
  out.add(`${p}last_good_backup_age_seconds`, 'gauge', 'Age of the newest good local backup.', status.lastGoodBackup?.ageSeconds);
  out.add(`${p}max_age_seconds`, 'gauge', 'BACKUP_MAX_AGE: older than this is unhealthy.', status.maxAgeSeconds);
  out.add(`${p}next_run_timestamp_seconds`, 'gauge', 'Next scheduled run.', seconds(status.nextRun));
  if (lastRun !== null) {
    out.add(`${p}last_run_timestamp_seconds`, 'gauge', 'End of the last run.', seconds(lastRun.finishedAt));
    out.add(`${p}last_run_success`, 'gauge', '1 if the last run succeeded.', lastRun.status === 'success' ? 1 : 0);
    out.add(`${p}last_run_exit_code`, 'gauge', 'Exit code of the last run (0 ok, 1 database, 2 Kopia).', lastRun.exitCode ?? undefined);
    out.add(`${p}last_run_duration_seconds`, 'gauge', 'Duration of the last run.', lastRun.durationMs === null ? undefined : lastRun.durationMs / 1000);
    out.add(
      `${p}last_run_step_duration_seconds`,
      'gauge',
      'Duration of each step of the last run.',
      lastRun.steps.map((step) => ({ labels: { step: step.name, status: step.status }, value: step.durationMs / 1000 })),
    );
  }
  const dumpRun = status.recentRuns.find((run) => run.dump !== null);
  if (dumpRun?.dump) {
    out.add(`${p}dump_size_bytes`, 'gauge', 'Size of the last dump.sql.gz.', dumpRun.dump.size);
    out.add(`${p}dump_uncompressed_bytes`, 'gauge', 'Uncompressed size of the last dump.', dumpRun.dump.uncompressedBytes);
    out.add(`${p}dump_rows`, 'gauge', 'Rows in the last dump.', dumpRun.dump.rows);
    out.add(`${p}dump_tables`, 'gauge', 'Tables in the last dump.', dumpRun.dump.tables);
  }
  const snapshotRun = status.recentRuns.find((run) => Object.keys(run.snapshots).length > 0);
  if (snapshotRun) {
    const entries = Object.entries(snapshotRun.snapshots).filter(([, ref]) => ref !== undefined);
    out.add(
      `${p}snapshot_size_bytes`,
      'gauge',
      'Total size of the last Kopia snapshot of each source.',
      entries.filter(([, ref]) => ref!.totalSize !== undefined).map(([source, ref]) => ({ labels: { source }, value: ref!.totalSize! })),
    );
    out.add(
      `${p}snapshot_files`,
      'gauge',
      'Files in the last Kopia snapshot of each source.',
      entries.filter(([, ref]) => ref!.fileCount !== undefined).map(([source, ref]) => ({ labels: { source }, value: ref!.fileCount! })),
    );
    out.add(
      `${p}snapshot_timestamp_seconds`,
      'gauge',
      'End of the last Kopia snapshot of each source.',
      entries.filter(([, ref]) => ref!.endTime !== undefined).map(([source, ref]) => ({ labels: { source }, value: seconds(ref!.endTime)! })),
    );
  }
  if (status.lastVerify) {
    out.add(`${p}last_verify_timestamp_seconds`, 'gauge', 'When the last restore test (verify) finished.', seconds(status.lastVerify.checkedAt));
    out.add(`${p}last_verify_success`, 'gauge', '1 if the last restore test passed.', status.lastVerify.ok ? 1 : 0);
    out.add(`${p}last_verify_tables_checked`, 'gauge', 'Tables compared with the manifest by the last restore test.', status.lastVerify.tablesChecked);
    if (status.lastVerify.files !== null) {
      out.add(`${p}last_verify_missing_files`, 'gauge', 'Files referenced by the database but absent from the library snapshot.', status.lastVerify.files.missing);
    }
  }
  out.add(`${p}runs_total`, 'counter', 'Backup runs finished.', status.counters.runs);
  out.add(`${p}failures_total`, 'counter', 'Backup runs failed.', status.counters.failures);
  out.add(
    `${p}step_failures_total`,
    'counter',
    'Failed runs by the step that failed.',
    Object.entries(status.counters.failuresByStep).map(([step, value]) => ({ labels: { step }, value })),
  );
  const byState = { good: 0, corrupt: 0, failed: 0, incomplete: 0 };
  for (const backup of status.localBackups) byState[backup.state] += 1;
  out.add(
    `${p}local_backups`,
    'gauge',
    'Run folders in BACKUP_DIR by state.',
    Object.entries(byState).map(([state, value]) => ({ labels: { state }, value })),
  );
  out.add(
    `${p}local_backups_bytes`,
    'gauge',
    'Bytes of good run folders in BACKUP_DIR.',
    status.localBackups.filter((b) => b.state === 'good').reduce((sum, b) => sum + b.size, 0),
  );
  return out.toString();
}
