import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Env } from '../../src/config.ts';
import { runCli, startCli } from '../support/cli.ts';
import { createBulkAssetTable, startPostgres, type PostgresServer } from '../support/postgres.ts';

/**
 * restore-db stopped part-way (Ctrl-C, docker stop) must say so: the person restoring reads the
 * message to decide whether the database can be used, and "lost the connection to the database"
 * sends them looking for a broken server instead of telling them they stopped it.
 */
let postgres: PostgresServer;
let env: Env;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-restore-stop-'));
const dump = join(work, 'immich.sql.gz');

before(async () => {
  postgres = await startPostgres('14');
  await postgres.createDatabase('immich');
  await createBulkAssetTable(postgres, 'immich', 300_000);
  env = postgres.env('immich');
  const dumped = await runCli(['dump', '--output', dump], env);
  assert.equal(dumped.code, 0, dumped.stderr);
});
after(async () => {
  await postgres?.stop();
});

async function startCopying(target: string, extra: string[]) {
  await postgres.createDatabase(target);
  const running = startCli(['restore-db', '--input', dump, '--database', target, ...extra], env);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const copying = await postgres.query('postgres', `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY %'`, [target]);
    if (copying.length > 0) break;
    assert.ok(Date.now() < deadline, 'the restore never started copying');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return running;
}

async function stopWhileCopying(target: string, extra: string[]) {
  // Signal once the table's data is flowing.
  const running = await startCopying(target, extra);
  const signalled = Date.now();
  running.child.kill('SIGTERM');
  const result = await running.exited;
  const seconds = (Date.now() - signalled) / 1000;
  assert.ok(seconds < 5, `ended ${seconds} s after SIGTERM`);
  return result;
}

test('SIGTERM during restore-db into an empty database: the message says it was interrupted and the database is partly restored', { timeout: 120_000 }, async () => {
  const result = await stopWhileCopying('target_plain', ['--jobs', '1']);
  assert.equal(result.signal, null, 'the process must end by itself');
  assert.equal(result.code, 1);
  assert.match(result.stderr, /restore failed at line \d+ \(COPY public\.asset .*\): interrupted by SIGTERM \(\d+ statements had already run.*partly restored/);
  assert.doesNotMatch(result.stderr, /lost the connection/);
});

test('SIGTERM during restore-db --clean (one transaction): interrupted, rolled back', { timeout: 120_000 }, async () => {
  const result = await stopWhileCopying('target_clean', ['--clean']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /interrupted by SIGTERM \(rolled back: the database is as it was\)/);
  assert.doesNotMatch(result.stderr, /lost the connection/);
});

test('restore-db into a database that does not exist: refused naming it and how to create it', async () => {
  const result = await runCli(['restore-db', '--input', dump, '--database', 'no_such_db'], env);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /database "no_such_db" does not exist: nothing was restored; create it first \(in Immich's stack: docker compose exec database createdb -U postgres no_such_db\)/);
});

test('a backup run while restore-db restores into its database is skipped (75): it would take the half-restored database for a good backup', { timeout: 120_000 }, async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'immich-backup-during-restore-'));
  const restoring = await startCopying('being_restored', ['--jobs', '2']);
  try {
    const backup = await runCli(['backup'], {
      ...postgres.env('being_restored'),
      BACKUP_DIR: backupDir,
      KOPIA_ENABLED: 'false',
      IMMICH_URL: 'off',
      CONFIG_FILES: dump,
    });
    assert.equal(backup.code, 75, `${backup.stdout}\n${backup.stderr}`);
    assert.match(backup.stdout + backup.stderr, /restore-db is restoring into database postgres@localhost:\d+\/being_restored \(\d+ connection\(s\)\): no backup is taken of a database half-restored/);
    assert.deepEqual(readdirSync(backupDir).filter((name) => name.startsWith('immich-')), [], 'no run folder');
  } finally {
    restoring.child.kill('SIGTERM');
    await restoring.exited;
  }
});

test('restore-db --clean while a backup run dumps the database: refused at once naming the dump, not left waiting for it behind its locks', { timeout: 120_000 }, async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'immich-backup-restore-during-dump-'));
  const backup = startCli(['backup'], { ...env, BACKUP_DIR: backupDir, KOPIA_ENABLED: 'false', IMMICH_URL: 'off', CONFIG_FILES: dump, DUMP_JOBS: '1', DUMP_COMPRESSION_LEVEL: '9' });
  try {
    const deadline = Date.now() + 60_000;
    while ((await postgres.query('postgres', `SELECT 1 FROM pg_stat_activity WHERE datname = 'immich' AND application_name LIKE 'immich-backup dump%'`)).length === 0) {
      assert.ok(Date.now() < deadline, 'the dump never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const started = Date.now();
    const result = await runCli(['restore-db', '--input', dump, '--clean'], env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /database immich has \d+ other connection\(s\) \(immich-backup dump\): nothing was restored\. .*a backup run is dumping it: wait for it to end/);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await backup.exited;
  }
});
