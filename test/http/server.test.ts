import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Server } from 'node:http';
import { recordRun, recordVerify } from '../../src/backup/state.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { collectStatus, type StatusInputs } from '../../src/http/status.ts';
import { captureLog } from '../support/log-capture.ts';
import { kopiaFailedRun, successfulRun } from '../notify/fixtures.ts';
import { makeRunFolder } from '../backup/helpers.ts';

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

async function serve(inputs: StatusInputs): Promise<string> {
  const server = createHttpServer(() => collectStatus(inputs), captureLog().log);
  servers.push(server);
  const port = await listen(server, 0, '127.0.0.1');
  return `http://127.0.0.1:${port}`;
}

const hour = 3_600_000;

test('healthy: a recent good backup and a successful last run; /metrics carries the run figures', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  const now = new Date();
  makeRunFolder(backupDir, new Date(now.getTime() - 2 * hour), 'good');
  makeRunFolder(backupDir, new Date(now.getTime() - 30 * hour), 'failed');
  await recordRun(backupDir, { ...successfulRun(), finishedAt: new Date(now.getTime() - 2 * hour).toISOString() });
  const base = await serve({ backupDir, maxAgeMs: 26 * hour, schedule: '0 2 * * *', nextRun: new Date(now.getTime() + hour) });

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.match(await health.text(), /^ok: last good backup immich-\d{8}_\d{6} is 2 h 0 min old/);

  const status = (await (await fetch(`${base}/status`)).json()) as Record<string, any>;
  assert.equal(status.healthy, true);
  assert.equal(status.lastRun.runId, 'immich-20261124_020000');
  assert.equal(status.localBackups.length, 2);
  assert.equal(status.schedule, '0 2 * * *');
  assert.ok(status.nextRun);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^# HELP immich_backup_healthy /m);
  assert.match(metrics, /^# TYPE immich_backup_runs_total counter$/m);
  assert.match(metrics, /^immich_backup_healthy 1$/m);
  assert.match(metrics, /^immich_backup_dump_rows 1204332$/m);
  assert.match(metrics, /^immich_backup_dump_size_bytes 12582912$/m);
  assert.match(metrics, /^immich_backup_snapshot_size_bytes\{source="library"\} 912000000000$/m);
  assert.match(metrics, /^immich_backup_last_run_step_duration_seconds\{step="dump",status="ok"\} 61$/m);
  assert.match(metrics, /^immich_backup_local_backups\{state="good"\} 1$/m);
  assert.match(metrics, /^immich_backup_local_backups\{state="failed"\} 1$/m);
  assert.match(metrics, /^immich_backup_last_success_timestamp_seconds \d+(\.\d+)?$/m);
  assert.match(metrics, /^immich_backup_failures_total 0$/m);
  // Every sample line is `name{labels} number`.
  for (const line of metrics.trim().split('\n').filter((l) => !l.startsWith('#'))) {
    assert.match(line, /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$/, line);
  }
});

test('unhealthy (503) after a failed run, naming the failed step, even with a fresh local backup', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  makeRunFolder(backupDir, new Date(Date.now() - hour), 'good');
  await recordRun(backupDir, kopiaFailedRun());
  const base = await serve({ backupDir, maxAgeMs: 26 * hour });
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 503);
  assert.match(await health.text(), /^unhealthy: last run immich-20261124_020000 failed \(exit 2\) at step kopia-backups/);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^immich_backup_healthy 0$/m);
  assert.match(metrics, /^immich_backup_step_failures_total\{step="kopia-backups"\} 1$/m);
  assert.match(metrics, /^immich_backup_last_run_exit_code 2$/m);
});

test('a run skipped after a failed one (Immich in maintenance mode) does not make the failed run good: still 503, naming both', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  // The failed run's local folder is complete; its Kopia copy is missing.
  makeRunFolder(backupDir, new Date(Date.now() - 20 * hour), 'good');
  await recordRun(backupDir, kopiaFailedRun());
  await recordRun(backupDir, {
    ...successfulRun(),
    runId: 'immich-20261125_020000',
    status: 'skipped',
    exitCode: 75,
    error: 'Immich stayed in maintenance mode for 30 min',
    folder: null,
    snapshots: {},
    repository: null,
    offsite: false,
  });
  const base = await serve({ backupDir, maxAgeMs: 26 * hour });
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 503);
  assert.match(
    await health.text(),
    /^unhealthy: last run immich-20261124_020000 failed \(exit 2\) at step kopia-backups: .*\(the runs after it were skipped, the last one: Immich stayed in maintenance mode for 30 min\)/,
  );
  const status = (await (await fetch(`${base}/status`)).json()) as Record<string, any>;
  assert.equal(status.lastRun.status, 'skipped', '/status still shows the newest run as it was');
});

test('unhealthy when the last good backup is older than BACKUP_MAX_AGE; grace before the first backup', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  const fresh = await serve({ backupDir, maxAgeMs: 26 * hour, serviceStartedAt: new Date() });
  const waiting = await fetch(`${fresh}/healthz`);
  assert.equal(waiting.status, 200);
  assert.match(await waiting.text(), /no backup yet/);
  const noGrace = await serve({ backupDir, maxAgeMs: 26 * hour, serviceStartedAt: new Date(Date.now() - 27 * hour) });
  assert.equal((await fetch(`${noGrace}/healthz`)).status, 503);

  makeRunFolder(backupDir, new Date(Date.now() - 30 * hour), 'good');
  const stale = await serve({ backupDir, maxAgeMs: 26 * hour });
  const response = await fetch(`${stale}/healthz`);
  assert.equal(response.status, 503);
  assert.match(await response.text(), /30 h 0 min old, more than BACKUP_MAX_AGE \(26 h 0 min\)/);
});

test('a good backup dated ahead of the clock (made while the clock was ahead, set back since) is not counted: its age would keep /healthz ok until the clock caught up', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  const ahead = makeRunFolder(backupDir, new Date(Date.now() + 30 * hour), 'good');
  const alone = await serve({ backupDir, maxAgeMs: 26 * hour });
  const health = await fetch(`${alone}/healthz`);
  assert.equal(health.status, 503);
  assert.match(await health.text(), new RegExp(`^unhealthy: no good backup in .*; not counted, dated ahead of the clock \\(was the clock set back\\?\\): ${ahead} \\(finished `));
  assert.equal(((await (await fetch(`${alone}/status`)).json()) as Record<string, any>).lastGoodBackup, null);

  // Backups made since (the clock right again) count, the one ahead is still named.
  const recent = makeRunFolder(backupDir, new Date(Date.now() - 2 * hour), 'good');
  const later = await serve({ backupDir, maxAgeMs: 26 * hour });
  const again = await fetch(`${later}/healthz`);
  assert.equal(again.status, 200);
  assert.match(await again.text(), new RegExp(`^ok: last good backup ${recent} is 2 h 0 min old; not counted, dated ahead of the clock .*${ahead}`));
});

test('"ok" says "not offsite" when the last run made no offsite copy; a skipped run after an offsite one leaves offsite at yes', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  makeRunFolder(backupDir, new Date(Date.now() - 2 * hour), 'good');
  await recordRun(backupDir, { ...successfulRun(), offsite: false });
  const local = await serve({ backupDir, maxAgeMs: 26 * hour });
  const health = await fetch(`${local}/healthz`);
  assert.equal(health.status, 200);
  assert.match(await health.text(), /^ok: last good backup immich-\d{8}_\d{6} is 2 h 0 min old, not offsite\n$/);

  await recordRun(backupDir, { ...successfulRun(), runId: 'immich-20261125_020000', offsite: true });
  await recordRun(backupDir, { ...successfulRun(), runId: 'immich-20261126_020000', status: 'skipped', exitCode: 75, folder: null, offsite: false });
  const offsite = await serve({ backupDir, maxAgeMs: 26 * hour });
  assert.match(await (await fetch(`${offsite}/healthz`)).text(), /^ok: last good backup immich-\d{8}_\d{6} is 2 h 0 min old\n$/);
  assert.equal(((await (await fetch(`${offsite}/status`)).json()) as Record<string, any>).offsite, true);
  assert.match(await (await fetch(`${offsite}/metrics`)).text(), /^immich_backup_offsite 1$/m);
});

test('no good backup and a run killed before it finished (a .partial folder left): 503 even in the grace after a start, which the restart began', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  const killed = makeRunFolder(backupDir, new Date(Date.now() - hour), 'partial');
  const restarted = await serve({ backupDir, maxAgeMs: 26 * hour, serviceStartedAt: new Date() });
  const health = await fetch(`${restarted}/healthz`);
  assert.equal(health.status, 503);
  assert.match(await health.text(), new RegExp(`^unhealthy: no good backup in .*: run ${killed.slice(1, -'.partial'.length)} was interrupted \\(killed\\?\\) before it finished`));
  // The run writing it now is no interrupted run.
  const running = await serve({ backupDir, maxAgeMs: 26 * hour, serviceStartedAt: new Date(), current: { ...successfulRun(), runId: killed.slice(1, -'.partial'.length), status: 'running' } });
  assert.equal((await fetch(`${running}/healthz`)).status, 200);
});

test('a failed restore test makes the service unhealthy, however fresh the backups, until a restore test passes', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  const good = makeRunFolder(backupDir, new Date(Date.now() - 2 * hour), 'good');
  await recordRun(backupDir, successfulRun());
  const verify = { runId: good, checkedAt: new Date().toISOString(), durationMs: 1000, tablesChecked: 63, rowsChecked: 1000, files: null };
  await recordVerify(backupDir, { ...verify, ok: false, problems: ['table public.asset: the restored copy has 9 rows (manifest: 10)', 'catalog: index x missing'] });
  const base = await serve({ backupDir, maxAgeMs: 26 * hour });
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 503);
  assert.match(
    await health.text(),
    new RegExp(`^unhealthy: the last restore test \\(${good}, at [^)]+\\) failed: table public\\.asset: the restored copy has 9 rows \\(manifest: 10\\) \\(and 1 more\\); run \`immich-backup verify\` again once fixed`),
  );
  await recordVerify(backupDir, { ...verify, ok: true, problems: [] });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});

test('a restore test that found no backup does not count against a backup made after it', async () => {
  // E.g. `immich-backup verify` tried right after installing, before the first backup.
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  const noBackup = { runId: null, ok: false, durationMs: 5, tablesChecked: 0, rowsChecked: 0, files: null, problems: [`no complete backup with a database dump in ${backupDir}`] };
  await recordVerify(backupDir, { ...noBackup, checkedAt: new Date(Date.now() - 3 * hour).toISOString() });
  makeRunFolder(backupDir, new Date(Date.now() - 2 * hour), 'good');
  await recordRun(backupDir, successfulRun());
  const base = await serve({ backupDir, maxAgeMs: 26 * hour });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  // Still unhealthy when no backup has been made since the test found none.
  await recordVerify(backupDir, { ...noBackup, checkedAt: new Date(Date.now() - hour).toISOString() });
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 503);
  assert.match(await health.text(), /the last restore test \(no backup, at [^)]+\) failed: no complete backup/);
});

test('other paths and methods are refused', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'http-'));
  const base = await serve({ backupDir, maxAgeMs: hour });
  assert.equal((await fetch(`${base}/`)).status, 404);
  assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
});
