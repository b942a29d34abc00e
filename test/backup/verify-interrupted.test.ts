import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { verifyAndReport } from '../../src/backup/verify.ts';
import { loadSidecarConfig, type Env } from '../../src/config.ts';
import { runCli, startCli } from '../support/cli.ts';
import { createBulkAssetTable, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * A restore test stopped from outside (the container stopped or recreated by an update while the
 * monthly verify runs, Ctrl-C on a manual one) did not find anything wrong with the backup: it must
 * not be recorded as a failed restore test, which keeps /healthz 503 until a restore test passes
 * (a month, with the default schedule). It still drops its scratch database.
 */
let postgres: PostgresServer;
let receiver: WebhookReceiver;
let env: Env;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-verify-stop-'));
const backupDir = join(work, 'backups');

before(async () => {
  mkdirSync(backupDir);
  for (const folder of ['library', 'upload', 'profile', 'thumbs', 'encoded-video', 'backups']) {
    mkdirSync(join(work, 'upload-location', folder), { recursive: true });
    writeFileSync(join(work, 'upload-location', folder, '.immich'), '1732420800000');
  }
  writeFileSync(join(work, '.env'), 'DB_PASSWORD=secret\n');
  [postgres, receiver] = await Promise.all([startPostgres('14'), startWebhookReceiver()]);
  await postgres.createDatabase('immich');
  // Big enough that the restore test is still restoring when the signal comes.
  await createBulkAssetTable(postgres, 'immich', 300_000);
  env = {
    ...postgres.env('immich'),
    BACKUP_DIR: backupDir,
    LIBRARY_PATH: join(work, 'upload-location'),
    KOPIA_ENABLED: 'false',
    CONFIG_FILES: join(work, '.env'),
    WEBHOOK_URL: `${receiver.url}/hook`,
    TZ: 'UTC',
  };
  const backup = await runCli(['backup'], env);
  assert.equal(backup.code, 0, `${backup.stdout}\n${backup.stderr}`);
});
after(async () => {
  await Promise.all([postgres?.stop(), receiver?.close()]);
});

async function scratchDatabases(): Promise<string[]> {
  const rows = await postgres.query<{ datname: string }>('postgres', `SELECT datname FROM pg_database WHERE datname LIKE 'immich_backup_verify_%'`);
  return rows.map((row) => row.datname);
}

test('SIGTERM during the restore test: scratch database dropped, not recorded as a failed restore test, /healthz stays ok', { timeout: 120_000 }, async () => {
  const running = startCli(['verify'], env);
  const deadline = Date.now() + 60_000;
  while ((await scratchDatabases()).length === 0) {
    assert.ok(Date.now() < deadline, 'the restore test never created its scratch database');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  running.child.kill('SIGTERM');
  const result = await running.exited;
  assert.equal(result.signal, null, 'the process must end by itself');
  assert.notEqual(result.code, 0, 'an interrupted restore test proves nothing: not a pass');
  assert.match(result.stdout, /INTERRUPTED: restore test of immich-\d{8}_\d{6} did not finish \(interrupted by SIGTERM\)/);
  assert.deepEqual(await scratchDatabases(), [], 'the scratch database is dropped');

  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { healthy: boolean; reason: string; lastVerify: unknown };
  assert.equal(status.lastVerify, null, 'an interrupted restore test is not recorded');
  assert.doesNotMatch(status.reason, /restore test/);
  assert.equal(status.healthy, true, status.reason);
  assert.deepEqual(receiver.requests.filter((request) => request.body.includes('restore-test')), [], 'no "restore test failed" notification');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the service stopped during its scheduled restore test: it drops the scratch database before it says it stopped, and records nothing', { timeout: 120_000 }, async () => {
  const running = startCli(['serve'], { ...env, VERIFY_SCHEDULE: '* * * * * *', BACKUP_SCHEDULE: '0 0 1 1 *', HTTP_PORT: String(await freePort()) });
  const deadline = Date.now() + 60_000;
  while ((await scratchDatabases()).length === 0) {
    assert.ok(Date.now() < deadline, 'the scheduled restore test never created its scratch database');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  running.child.kill('SIGTERM');
  const result = await running.exited;
  assert.equal(result.signal, null, 'the process must end by itself');
  assert.deepEqual(await scratchDatabases(), [], 'the scratch database is dropped');
  const interrupted = result.stderr.indexOf('restore test interrupted before it finished');
  const stopped = result.stderr.indexOf('immich-backup service stopped');
  assert.ok(interrupted >= 0, result.stderr);
  assert.ok(stopped > interrupted, 'the service waits for its restore test to clean up before it says it stopped');
  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { lastVerify: unknown };
  assert.equal(status.lastVerify, null);
});

test('a stop that comes after the restore test found a problem: the problem is recorded and notified, not dropped as an interruption', { timeout: 120_000 }, async () => {
  // A real difference: an index the live database has and the backup does not.
  await postgres.query('immich', 'CREATE INDEX asset_added_after_the_backup ON public.asset (id)');
  try {
    const stop = new AbortController();
    // The stop (docker stop, an update) arrives as the restore test ends with its verdict.
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          if (chunk.toString('utf8').includes('verify FAILED')) stop.abort(new Error('interrupted by SIGTERM'));
          done();
        },
      }),
    );
    const result = await verifyAndReport(loadSidecarConfig(env), { log, signal: stop.signal, trigger: 'manual' });
    assert.equal(stop.signal.aborted, true);
    assert.equal(result.ok, false);
    assert.equal(result.interrupted, undefined, 'it found a problem: no mere interruption');
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { healthy: boolean; reason: string; lastVerify: { ok: boolean; problems: string[] } | null };
    assert.equal(status.lastVerify?.ok, false, 'the failed restore test is recorded');
    assert.match(status.lastVerify?.problems.join('\n') ?? '', /missing/);
    assert.equal(status.healthy, false, status.reason);
    assert.ok(receiver.requests.some((request) => request.body.includes('restore-test')), 'the failure is notified');
  } finally {
    await postgres.query('immich', 'DROP INDEX public.asset_added_after_the_backup');
  }
});
