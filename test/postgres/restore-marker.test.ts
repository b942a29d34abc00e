import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import type { Env } from '../../src/config.ts';
import type { RunReport } from '../../src/report.ts';
import { runCli, startCli } from '../support/cli.ts';
import { createBulkAssetTable, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * restore-db without one transaction commits as it goes: killed part-way (SIGKILL, the OOM killer,
 * a reboot), it leaves a half-restored database and no connection to show for it. The mark it keeps
 * in the database's settings until the restore is whole makes the next backup run refuse that
 * database instead of keeping it as a good backup; SIGHUP (a lost SSH session) stops it gracefully.
 */
let postgres: PostgresServer;
let receiver: WebhookReceiver;
let env: Env;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-restore-marker-'));
const dump = join(work, 'immich.sql.gz');
const compose = join(work, 'docker-compose.yml');

before(async () => {
  [postgres, receiver] = await Promise.all([startPostgres('14'), startWebhookReceiver()]);
  await postgres.createDatabase('immich');
  await createBulkAssetTable(postgres, 'immich', 300_000);
  env = postgres.env('immich');
  writeFileSync(compose, 'name: immich\n');
  const dumped = await runCli(['dump', '--output', dump], env);
  assert.equal(dumped.code, 0, dumped.stderr);
});
after(async () => {
  await Promise.all([postgres?.stop(), receiver?.close()]);
});

/** The database's restore mark, or undefined. */
async function marker(database: string): Promise<string | undefined> {
  const rows = await postgres.query<{ item: string }>(
    database,
    `SELECT item FROM pg_db_role_setting s, unnest(s.setconfig) AS item
      WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.setrole = 0
        AND item LIKE 'immich\\_backup.restore\\_in\\_progress=%'`,
  );
  return rows[0]?.item;
}

/** Starts restore-db into a new database `target` and resolves once its table data is flowing. */
async function startCopying(target: string, extra: string[]) {
  await postgres.createDatabase(target);
  const running = startCli(['restore-db', '--input', dump, '--database', target, ...extra], env);
  const deadline = Date.now() + 60_000;
  while ((await postgres.query('postgres', `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY %'`, [target])).length === 0) {
    assert.ok(Date.now() < deadline, 'the restore never started copying');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return running;
}

/** `backup --json` of `database`: exit code, report, run folders and the notifications it sent. */
async function backup(database: string) {
  const backupDir = mkdtempSync(join(work, `backup-${database}-`));
  const sent = receiver.requests.length;
  const result = await runCli(['backup', '--json'], {
    ...postgres.env(database),
    BACKUP_DIR: backupDir,
    KOPIA_ENABLED: 'false',
    IMMICH_URL: 'off',
    LIBRARY_PATH: work,
    CONFIG_FILES: compose,
    WEBHOOK_URL: `${receiver.url}/hook`,
  });
  const report = JSON.parse(result.stdout) as RunReport;
  const notified = receiver.requests.slice(sent).map((request) => JSON.parse(request.body) as { event: string; message: string });
  const folders = readdirSync(backupDir).filter((name) => /^\.?immich-\d{8}_/.test(name));
  return { code: result.code, report, notified, folders, output: `${result.stdout}\n${result.stderr}` };
}

/** The dump's SQL without its comment lines (they name the time and the database). */
function dumpStatements(file: string): string[] {
  return gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((line) => !line.startsWith('--'));
}

test('restore-db --jobs 2 killed (SIGKILL) mid-data: the mark stays, a backup run fails naming it; restore-db --clean clears it and the backup is good', { timeout: 300_000 }, async () => {
  const restoring = await startCopying('killed', ['--jobs', '2']);
  restoring.child.kill('SIGKILL');
  await restoring.exited;
  // The server notices the dead connections by itself; until then a run would be skipped as "restoring".
  const deadline = Date.now() + 60_000;
  while ((await postgres.query('postgres', `SELECT 1 FROM pg_stat_activity WHERE datname = 'killed' AND application_name LIKE 'immich-backup restore%'`)).length > 0) {
    assert.ok(Date.now() < deadline, 'the killed restore\'s connections never went away');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.match((await marker('killed')) ?? 'no mark', /^immich_backup\.restore_in_progress=\d{4}-\d\d-\d\dT[\d:.]+Z \(pid \d+ on .+\)$/);

  const refused = await backup('killed');
  assert.equal(refused.code, 1, refused.output);
  assert.equal(refused.report.status, 'failed');
  assert.equal(refused.report.failedStep, 'dump');
  const named =
    /database "killed" on .+ was left half-restored by restore-db started at \d{4}-\d\d-\d\dT[\d:.]+Z \(pid \d+ on .+\).*Restore it again \(restore-db --clean\).*ALTER DATABASE "killed" RESET immich_backup\.restore_in_progress/;
  assert.match(refused.report.error!, named);
  assert.deepEqual(refused.folders, [], 'no run folder, no partial folder');
  assert.deepEqual(refused.notified.map((notice) => notice.event), ['failure']);
  assert.match(refused.notified[0]!.message, named);

  const again = await runCli(['restore-db', '--input', dump, '--database', 'killed', '--clean'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await marker('killed'), undefined, 'the mark is cleared by a restore that succeeded');
  const good = await backup('killed');
  assert.equal(good.code, 0, good.output);
  assert.equal(good.folders.length, 1);
});

test('a restore that succeeds leaves no mark, and the restored database dumps as its source did', { timeout: 300_000 }, async () => {
  await postgres.createDatabase('whole');
  const restored = await runCli(['restore-db', '--input', dump, '--database', 'whole', '--jobs', '2'], env);
  assert.equal(restored.code, 0, restored.stderr);
  assert.doesNotMatch(restored.stderr, /guard is off/);
  assert.equal(await marker('whole'), undefined);
  const again = join(work, 'whole.sql.gz');
  const dumped = await runCli(['dump', '--output', again], postgres.env('whole'));
  assert.equal(dumped.code, 0, dumped.stderr);
  const lines = dumpStatements(again);
  assert.equal(lines.filter((line) => line.includes('immich_backup.restore_in_progress')).length, 0, 'no settings line');
  // Compared line by line, naming the first difference (a diff of two 300,000-line arrays would not
  // end), sorted: a parallel restore loads pieces in any order, so rows come back in another order.
  lines.sort();
  const source = dumpStatements(dump).sort();
  const differs = lines.findIndex((line, index) => line !== source[index]);
  assert.equal(differs, -1, `line ${differs}: ${lines[differs]?.slice(0, 200)} <> ${source[differs]?.slice(0, 200)}`);
  assert.equal(lines.length, source.length);
});

test('SIGHUP (a lost SSH session) stops restore-db as SIGTERM does: interrupted, partly restored, the mark kept', { timeout: 120_000 }, async () => {
  for (const [target, jobs] of [['hangup_one', '1'], ['hangup_two', '2']] as const) {
    const running = await startCopying(target, ['--jobs', jobs]);
    running.child.kill('SIGHUP');
    const result = await running.exited;
    assert.equal(result.signal, null, 'the process must end by itself');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /restore failed at line \d+ \(COPY public\.asset .*\): interrupted by SIGHUP \(\d+ statements had already run.*partly restored/);
    assert.notEqual(await marker(target), undefined, `${target} is marked half-restored`);
  }
});

test("Immich's documented non-superuser owner may not set the mark: the restore goes on, warning that the guard is off", { timeout: 120_000 }, async () => {
  await postgres.query('postgres', `CREATE ROLE immich_owner LOGIN PASSWORD 'owner-password-not-secret'`);
  await postgres.query('postgres', 'CREATE DATABASE owned OWNER immich_owner');
  const result = await runCli(['restore-db', '--input', dump, '--database', 'owned', '--jobs', '2', '--no-owner'], {
    ...env,
    DB_USERNAME: 'immich_owner',
    DB_PASSWORD: 'owner-password-not-secret',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /cannot mark database owned as being restored \(immich_backup\.restore_in_progress\): the guard is off/);
  assert.match(result.stderr, /GRANT SET ON PARAMETER immich_backup\.restore_in_progress TO \\?"immich_owner\\?";/);
  assert.equal(await marker('owned'), undefined);
});
