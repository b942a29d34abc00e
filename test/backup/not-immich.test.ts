import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Manifest } from '../../src/backup/manifest.ts';
import { assetShrinkLimits, assetShrinkWarning, type DumpStepResult } from '../../src/backup/steps/dump.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { collectStatus } from '../../src/http/status.ts';
import type { RunReport } from '../../src/report.ts';
import { runCli } from '../support/cli.ts';
import { captureLog } from '../support/log-capture.ts';
import { immichBookkeepingSql, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { dayMs, makeRunFolder } from './helpers.ts';

/**
 * A backup of a database that holds no Immich data (DB_DATABASE_NAME=postgres, a new empty database,
 * a new Postgres volume) must never count as good: night after night such "good" backups would push
 * the real ones out of retention. The run refuses it (exit 1, failure notified, no folder, no
 * retention) unless ALLOW_NON_IMMICH_DATABASE=true; a sharp shrink of Immich's asset table since the
 * last good backup is a warning.
 */
let server: PostgresServer;
let receiver: WebhookReceiver;
const servers: Server[] = [];
const root = mkdtempSync(join(tmpdir(), 'not-immich-'));
const compose = join(root, 'docker-compose.yml');

before(async () => {
  [server, receiver] = await Promise.all([startPostgres('14'), startWebhookReceiver()]);
  writeFileSync(compose, 'name: immich\n');
});
after(async () => {
  for (const http of servers) http.close();
  await Promise.all([server?.stop(), receiver?.close()]);
});

function env(database: string, backupDir: string, extra: Record<string, string> = {}) {
  return {
    ...server.env(database),
    BACKUP_DIR: backupDir,
    KOPIA_ENABLED: 'false',
    IMMICH_URL: 'off',
    LIBRARY_PATH: root,
    CONFIG_FILES: compose,
    WEBHOOK_URL: `${receiver.url}/hook`,
    ...extra,
  };
}

/** Runs `backup --json`; returns its exit code, report and the notifications it sent. */
async function backup(database: string, backupDir: string, extra: Record<string, string> = {}) {
  const before = receiver.requests.length;
  const result = await runCli(['backup', '--json'], env(database, backupDir, extra));
  const report = JSON.parse(result.stdout) as RunReport;
  const notified = receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; message: string });
  return { code: result.code, report, notified, output: `${result.stdout}\n${result.stderr}` };
}

function runFolders(backupDir: string): string[] {
  return readdirSync(backupDir).filter((name) => /^\.?immich-\d{8}_/.test(name));
}

async function healthz(backupDir: string): Promise<{ status: number; text: string }> {
  const http = createHttpServer(() => collectStatus({ backupDir, maxAgeMs: 26 * 3_600_000 }), captureLog().log);
  servers.push(http);
  const port = await listen(http, 0, '127.0.0.1');
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: response.status, text: await response.text() };
}

test('a new empty database: exit 1 naming it, the server and what to check, no folder, /healthz 503, failure notified', async () => {
  await server.createDatabase('fresh');
  const backupDir = mkdtempSync(join(root, 'fresh-'));
  const run = await backup('fresh', backupDir);
  assert.equal(run.code, 1, run.output);
  assert.equal(run.report.status, 'failed');
  assert.equal(run.report.failedStep, 'dump');
  const named = new RegExp(`database "fresh" on ${server.host}:${server.port} holds no Immich schema: .*Check that DB_DATABASE_NAME \\(or DB_URL\\) names Immich's database`);
  assert.match(run.report.error!, named);
  assert.match(run.report.error!, /ALLOW_NON_IMMICH_DATABASE=true/);
  assert.deepEqual(runFolders(backupDir), [], 'no run folder, no partial folder');
  assert.deepEqual(run.notified.map((n) => n.event), ['failure']);
  assert.match(run.notified[0]!.message, named);
  const health = await healthz(backupDir);
  assert.equal(health.status, 503, health.text);
});

test('DB_DATABASE_NAME=postgres with old good backups: refused, and retention does not run on the strength of it', async () => {
  const backupDir = mkdtempSync(join(root, 'postgres-'));
  const older = [10, 20].map((days) => makeRunFolder(backupDir, new Date(Date.now() - days * dayMs), 'good'));
  const run = await backup('postgres', backupDir, { BACKUP_KEEP_DAYS: '1', BACKUP_KEEP_MIN: '1' });
  assert.equal(run.code, 1, run.output);
  assert.match(run.report.error!, /database "postgres" on .* holds no Immich schema/);
  assert.equal(run.report.steps.find((step) => step.name === 'retention'), undefined, 'retention not attempted');
  assert.deepEqual(runFolders(backupDir).sort(), [...older].sort(), 'both older backups kept, nothing new');
});

test('the same database with ALLOW_NON_IMMICH_DATABASE=true: a good backup', async () => {
  const backupDir = mkdtempSync(join(root, 'allowed-'));
  const run = await backup('fresh', backupDir, { ALLOW_NON_IMMICH_DATABASE: 'true' });
  assert.equal(run.code, 0, run.output);
  assert.deepEqual(run.notified.map((n) => n.event), ['success']);
  const list = JSON.parse((await runCli(['list', '--local', '--json'], env('fresh', backupDir))).stdout) as { local: { state: string }[] };
  assert.deepEqual(list.local.map((folder) => folder.state), ['good']);
});

test('an ALLOW_NON_IMMICH_DATABASE that is not a yes or no is a configuration error (exit 78)', async () => {
  const result = await runCli(['backup'], env('fresh', mkdtempSync(join(root, 'bad-flag-')), { ALLOW_NON_IMMICH_DATABASE: 'perhaps' }));
  assert.equal(result.code, 78, `${result.stdout}\n${result.stderr}`);
  assert.match(`${result.stdout}${result.stderr}`, /ALLOW_NON_IMMICH_DATABASE/);
});

test("Immich's bookkeeping decides: Kysely's rows or TypeORM's table with Immich's first migration are Immich's; an empty kysely_migrations or another program's migrations table is not", async () => {
  const cases = [
    // The sidecar's Immich-shaped fixture (Kysely's bookkeeping, Immich 1.133 and later).
    ['immich_shaped', readFileSync(new URL('../sidecar/fixtures/immich-like.sql', import.meta.url), 'utf8'), 0],
    // Immich before 1.133: TypeORM's table, Immich's migrations in it.
    [
      'immich_typeorm',
      `CREATE TABLE migrations (id serial PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL);
       INSERT INTO migrations ("timestamp", name) VALUES (1645130759468, 'CreateUserTable1645130759468'), (1744910873956, 'AddMissingIndex1744910873956');
       CREATE TABLE assets (id uuid PRIMARY KEY);`,
      0,
    ],
    // Kysely's table made, no migration recorded (Immich's first start failed): no Immich schema.
    ['kysely_empty', immichBookkeepingSql.replace(/INSERT INTO[^;]*;/, ''), 1],
    // Another program's `migrations` table (Laravel's shape), and a TypeORM one of another program.
    ['laravel', 'CREATE TABLE migrations (id serial PRIMARY KEY, migration varchar NOT NULL, batch integer NOT NULL); INSERT INTO migrations (migration, batch) VALUES (\'2014_10_12_create_users_table\', 1);', 1],
    ['other_typeorm', 'CREATE TABLE migrations (id serial PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL); INSERT INTO migrations ("timestamp", name) VALUES (1700000000000, \'Init1700000000000\');', 1],
  ] as const;
  for (const [database, sql, expected] of cases) {
    await server.createDatabase(database);
    await server.psql(database, sql);
    const backupDir = mkdtempSync(join(root, `${database}-`));
    const run = await backup(database, backupDir);
    assert.equal(run.code, expected, `${database}: ${run.output}`);
    assert.equal(runFolders(backupDir).length, expected === 0 ? 1 : 0, database);
    if (expected === 1) assert.match(run.report.error!, new RegExp(`database "${database}" on .* holds no Immich schema`));
  }
});

test("Immich's asset table down to less than half since the last good backup: a warning in the report, log, notification and manifest, naming both counts and the folder", async () => {
  await server.createDatabase('shrinking');
  await server.psql('shrinking', `CREATE TABLE asset (id integer PRIMARY KEY); INSERT INTO asset SELECT generate_series(1, 300); ${immichBookkeepingSql}`);
  const backupDir = mkdtempSync(join(root, 'shrinking-'));
  const first = await backup('shrinking', backupDir);
  assert.equal(first.code, 0, first.output);
  assert.deepEqual(first.report.warnings.filter((text) => text.includes('asset table')), []);
  const previous = first.report.runId;

  await server.query('shrinking', 'DELETE FROM asset WHERE id > 149');
  const second = await backup('shrinking', backupDir);
  assert.equal(second.code, 0, second.output);
  const warning = new RegExp(`Immich's asset table holds 149 rows, down from 300 in the last good backup ${previous}: .*DB_DATABASE_NAME`);
  assert.equal(second.report.warnings.filter((text) => warning.test(text)).length, 1, second.report.warnings.join('\n'));
  assert.equal(second.report.steps.find((step) => step.name === 'dump')?.status, 'warning');
  assert.match(second.output, /"level":40,.*Immich's asset table holds 149 rows/, 'logged as a warning');
  assert.deepEqual(second.notified.map((n) => n.event), ['success']);
  assert.match(second.notified[0]!.message, warning);
  const manifest = JSON.parse(readFileSync(join(backupDir, second.report.runId, 'manifest.json'), 'utf8')) as Manifest;
  assert.ok(manifest.warnings.some((text) => warning.test(text)), 'recorded in the manifest');
  assert.ok(existsSync(join(backupDir, previous)));

  // Compared with the newest good backup (149 rows): nothing more to say.
  const third = await backup('shrinking', backupDir);
  assert.equal(third.code, 0, third.output);
  assert.deepEqual(third.report.warnings.filter((text) => text.includes('asset table')), []);
});

test('the shrink warning fires only below half of the previous count and by more than the small-instance margin', () => {
  const dump = (rows: number): DumpStepResult => ({
    serverVersion: '14',
    database: 'immich',
    tables: [{ schema: 'public', name: 'asset', rows, bytes: 0, sha256: '0'.repeat(64) }],
    size: 0,
    sha256: '0'.repeat(64),
    uncompressedBytes: 0,
  });
  const previous = (rows: number, name = 'assets') => ({
    name: 'immich-20261125_020000',
    manifest: { database: { serverVersion: '14', name: 'immich', file: 'dump.sql.gz', tables: [{ schema: 'public', name, rows, bytes: 0, sha256: '0'.repeat(64) }], unsupportedObjects: [] } } as unknown as Manifest,
  });
  assert.equal(assetShrinkLimits.share, 0.5);
  assert.equal(assetShrinkLimits.rows, 100);
  const fires = (before: number, now: number) => assetShrinkWarning(dump(now), previous(before, 'asset')) !== undefined;
  assert.equal(fires(300, 150), false, 'exactly half is not less than half');
  assert.equal(fires(300, 149), true);
  assert.equal(fires(100, 0), false, 'a drop of 100 is within the margin');
  assert.equal(fires(101, 0), true);
  assert.equal(fires(3, 0), false, 'a 3-photo test instance emptied');
  assert.equal(fires(10_000, 10_500), false, 'growth');
  // Immich's table was `assets` before it was renamed: a backup across the rename compares them.
  assert.match(assetShrinkWarning(dump(0), previous(5000, 'assets'))!, /holds 0 rows, down from 5000 in the last good backup immich-20261125_020000/);
  assert.equal(assetShrinkWarning(dump(0), undefined), undefined, 'no previous good backup');
  assert.equal(assetShrinkWarning({ ...dump(0), tables: [] }, previous(5000)), undefined, 'no asset table now');
});
