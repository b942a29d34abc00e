import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import type { Env } from '../../src/config.ts';
import { runCli } from '../support/cli.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { assertSameLines, describeBoth, fixturePath } from '../postgres/round-trip.ts';

/**
 * Issue 14, acceptance 1 and 3: the sidecar's `backup` against a real Postgres and a stub HTTP
 * server answering Immich's two unauthenticated endpoints as Immich does; the dump it places in
 * Immich's backups folder restored with Immich's own web-restore statements and psql flags.
 */
let postgres: PostgresServer;
let stub: Server;
let stubUrl: string;
let receiver: WebhookReceiver;
const immichState = { maintenanceMode: false, version: { major: 2, minor: 5, patch: 6 } };
const work = mkdtempSync(join(tmpdir(), 'immich-backup-immich-'));
const backupDir = join(work, 'backups');
const immichBackups = join(work, 'upload-location', 'backups');
const library = join(work, 'upload-location');

// Two migrations newer than the "older" Immich's single one below.
const migrations = `
CREATE TABLE kysely_migrations (name varchar(255) NOT NULL PRIMARY KEY, "timestamp" varchar(255) NOT NULL);
INSERT INTO kysely_migrations VALUES
  ('1744910873969-InitialMigration', '2025-04-17T17:27:53.969Z'),
  ('1752759108283-ConvertToAbsolutePaths', '2025-07-17T13:31:48.283Z');
`;

/**
 * An older Immich-shaped database, as Immich's web restore finds it: its own tables and data in
 * public (an older asset table, a table that was later dropped, fewer migrations), cube and
 * earthdistance put in pg_catalog by the community workaround of immich#5630, and other settings.
 */
const olderImmich = `
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA pg_catalog;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA pg_catalog;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."select" ("from" integer, "where" text DEFAULT 'x');
INSERT INTO "Odd Schema"."select" VALUES (99, 'old');
CREATE SEQUENCE "Odd Schema"."counter seq";
CREATE TYPE assets_status_enum AS ENUM ('active', 'trashed');
CREATE TABLE "user" (id uuid DEFAULT uuid_generate_v4() PRIMARY KEY, email varchar NOT NULL UNIQUE);
CREATE TABLE asset (id uuid PRIMARY KEY, "ownerId" uuid REFERENCES "user"(id), "originalPath" varchar NOT NULL, status assets_status_enum);
CREATE TABLE exif ("assetId" uuid PRIMARY KEY REFERENCES asset(id), "earthCoord" earth);
INSERT INTO "user" (id, email) VALUES ('00000000-0000-4000-8000-000000000009', 'old@example.com');
CREATE TABLE kysely_migrations (name varchar(255) NOT NULL PRIMARY KEY, "timestamp" varchar(255) NOT NULL);
INSERT INTO kysely_migrations VALUES ('1744910873969-InitialMigration', '2025-04-17T17:27:53.969Z');
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET search_path TO "$user", public, vectors', current_database());
  EXECUTE format('ALTER DATABASE %I SET work_mem TO %L', current_database(), '4MB');
END $$;
`;

function env(extra: Env = {}): Env {
  return {
    ...postgres.env('source'),
    BACKUP_DIR: backupDir,
    LIBRARY_PATH: library,
    KOPIA_ENABLED: 'false',
    CONFIG_FILES: `${join(work, 'docker-compose.yml')},${join(work, '.env')}`,
    TZ: 'UTC',
    IMMICH_URL: stubUrl,
    IMMICH_BACKUPS_PATH: immichBackups,
    IMMICH_API_TIMEOUT: '5s',
    WEBHOOK_URL: `${receiver.url}/hook`,
    NOTIFY_RETRIES: '0',
    ...extra,
  };
}

function runFolders(): string[] {
  return readdirSync(backupDir).filter((name) => /^immich-\d{8}_\d{6}(-\d+)?$/.test(name)).sort();
}

function copies(): string[] {
  return readdirSync(immichBackups).filter((name) => name.startsWith('immich-backup-')).sort();
}

before(async () => {
  for (const folder of ['library', 'upload', 'profile', 'thumbs', 'encoded-video', 'backups']) {
    mkdirSync(join(library, folder), { recursive: true });
    writeFileSync(join(library, folder, '.immich'), '1732420800000');
  }
  writeFileSync(join(work, 'docker-compose.yml'), 'services: {}\n');
  writeFileSync(join(work, '.env'), 'DB_PASSWORD=secret\n');
  // Immich's own files, which the sidecar must never touch.
  writeFileSync(join(immichBackups, 'immich-db-backup-20260101T020000-v2.5.6-pg14.17.sql.gz'), 'immich own');
  writeFileSync(join(immichBackups, 'restore-point-immich-db-backup-20260101T030000-v2.5.6-pg14.17.sql.gz'), 'restore point');
  writeFileSync(join(immichBackups, 'uploaded-old.sql.gz'), 'uploaded');
  stub = createServer((request, response) => {
    const answer = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (request.url === '/api/server/version') return answer(immichState.version);
    if (request.url === '/api/server/config') {
      return answer({
        loginPageMessage: '',
        trashDays: 30,
        userDeleteDelay: 7,
        oauthButtonText: 'Login with OAuth',
        isInitialized: true,
        isOnboarded: true,
        externalDomain: '',
        publicUsers: true,
        mapDarkStyleUrl: 'https://tiles.immich.cloud/v1/style/dark.json',
        mapLightStyleUrl: 'https://tiles.immich.cloud/v1/style/light.json',
        maintenanceMode: immichState.maintenanceMode,
      });
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  [postgres, receiver] = await Promise.all([startPostgres(), startWebhookReceiver()]);
  await postgres.createDatabase('source');
  await postgres.psql('source', Buffer.concat([readFileSync(fixturePath), Buffer.from(migrations)]));
});
after(async () => {
  await Promise.all([postgres?.stop(), receiver?.close(), new Promise((resolve) => (stub ? stub.close(resolve) : resolve(undefined)))]);
});

let placedCopy: string;

test('a run records Immich\'s version and newest migration, and places its dump in Immich\'s backups folder', async () => {
  const result = await runCli(['backup', '--json'], env());
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  const report = JSON.parse(result.stdout) as { immich: { version: string; migration: string; copy: string }; warnings: string[]; folder: string };
  assert.deepEqual(report.warnings, ['Kopia is disabled (KOPIA_ENABLED=false): this backup is local only']);
  assert.equal(report.immich.version, '2.5.6');
  assert.equal(report.immich.migration, '1752759108283-ConvertToAbsolutePaths');
  const manifest = JSON.parse(readFileSync(join(report.folder, 'manifest.json'), 'utf8')) as {
    immich: { version: string; migration: string };
    files: { path: string; sha256: string }[];
  };
  assert.deepEqual(manifest.immich, { version: '2.5.6', migration: '1752759108283-ConvertToAbsolutePaths' });

  const [name] = copies();
  assert.match(name!, /^immich-backup-\d{8}T\d{6}-v2\.5\.6-pg\d+(\.\d+)*\.sql\.gz$/);
  placedCopy = join(immichBackups, name!);
  assert.equal(report.immich.copy, placedCopy);
  const dumpSha = manifest.files.find((file) => file.path === 'dump.sql.gz')!.sha256;
  assert.equal(createHash('sha256').update(readFileSync(placedCopy)).digest('hex'), dumpSha, 'the copy is the dump, byte for byte');
  assert.equal(readdirSync(immichBackups).filter((file) => file.endsWith('.partial')).length, 0);

  const notice = await receiver.waitFor((request) => request.body.includes('"event":"success"'));
  assert.match(notice.body, /Immich v2\.5\.6, newest migration 1752759108283-ConvertToAbsolutePaths/);

  const list = await runCli(['list', '--local'], env());
  assert.match(list.stdout, /good .* Immich v2\.5\.6 \(1752759108283-ConvertToAbsolutePaths\)/);
  const status = JSON.parse((await runCli(['status', '--json'], env())).stdout) as {
    lastRun: { immich: { version: string } };
    localBackups: { immich: { version: string; migration: string } }[];
  };
  assert.equal(status.lastRun.immich.version, '2.5.6');
  assert.deepEqual(status.localBackups[0]!.immich, { version: '2.5.6', migration: '1752759108283-ConvertToAbsolutePaths' });
});

test("the placed dump restores with Immich's web-restore statements and psql flags over an older Immich database, and equals the source", async () => {
  assert.ok(placedCopy, 'the previous test placed a copy');
  await postgres.createDatabase('older');
  await postgres.psql('older', olderImmich);
  // server/src/utils/database-backups.ts: what Immich sends before the file, and how it runs psql.
  const immichPrologue = `
  SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();
  DROP SCHEMA public CASCADE;
  CREATE SCHEMA public;
  GRANT ALL ON SCHEMA public TO "${postgres.user}";
  GRANT ALL ON SCHEMA public TO public;
`;
  async function* script() {
    yield Buffer.from(immichPrologue);
    yield* createReadStream(placedCopy).pipe(createGunzip());
  }
  const psql = await postgres.runClient(
    'psql',
    ['--dbname', 'older', '--single-transaction', '--set', 'ON_ERROR_STOP=on', '--echo-all', '--output=/dev/null'],
    Readable.from(script()),
  );
  assert.equal(psql.code, 0, psql.stderr.slice(-2000));

  const source = await describeBoth(postgres, 'source');
  const restored = await describeBoth(postgres, 'older');
  // Immich's own CREATE SCHEMA public makes a schema without the template's comment: that line is
  // Immich's doing, not the dump's, so the public schema is only checked to exist.
  const withoutPublicComment = (lines: string[]) => lines.filter((line) => !line.startsWith('schema public '));
  assert.ok(restored.schema.some((line) => line.startsWith('schema public ')));
  assertSameLines(withoutPublicComment(restored.schema), withoutPublicComment(source.schema), 'schema (extensions, objects, database settings)');
  assertSameLines(restored.data, source.data, 'rows');
  assert.ok(restored.schema.includes('database setting work_mem=8MB'), 'the database settings are the source\'s');
});

test('restore-db prints the backup\'s Immich and warns when the target\'s Immich is older', async () => {
  await postgres.createDatabase('older_target');
  await postgres.psql('older_target', `${migrations.split('INSERT')[0]}INSERT INTO kysely_migrations VALUES ('1744910873969-InitialMigration', 'x');`);
  const folder = join(backupDir, runFolders().at(-1)!);
  const result = await runCli(['restore-db', '--input', join(folder, 'dump.sql.gz'), '--clean', '--single-transaction'], postgres.env('older_target'));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /backup: made with Immich v2\.5\.6, newest migration 1752759108283-ConvertToAbsolutePaths/);
  assert.match(result.stdout, /target: newest Immich migration 1744910873969-InitialMigration/);
  assert.match(result.stdout, /warning: the target database's Immich is older than the backup's .* run Immich v2\.5\.6 or newer/);

  // Restoring again: now the target is at the backup's migration, and there is nothing to warn about.
  const again = await runCli(['restore-db', '--input', join(folder, 'dump.sql.gz'), '--clean', '--single-transaction'], postgres.env('older_target'));
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /warning/);

  // The copy in Immich's folder has no manifest beside it: its name says the version, as Immich reads it.
  await postgres.createDatabase('from_copy');
  const fromCopy = await runCli(['restore-db', '--input', placedCopy, '--single-transaction'], postgres.env('from_copy'));
  assert.equal(fromCopy.code, 0, fromCopy.stderr);
  assert.match(fromCopy.stdout, /backup: made with Immich v2\.5\.6 \(from its file name\)/);
  assert.match(fromCopy.stdout, /note: run Immich v2\.5\.6 or newer on the restored database/);
});

test("restore-db of a dump taken in maintenance mode (Immich's restore-point-* files) warns that Immich will start in maintenance mode", async () => {
  await postgres.query('source', `INSERT INTO system_metadata VALUES ('maintenance-mode', '{"isMaintenanceMode": true, "secret": "s", "action": {"action": "restore_database"}}')`);
  let script: string;
  try {
    script = await postgres.pgDump('source', ['--clean', '--if-exists']);
  } finally {
    await postgres.query('source', `DELETE FROM system_metadata WHERE key = 'maintenance-mode'`);
  }
  const restorePoint = join(work, 'restore-point-immich-db-backup-20261126T020000-v2.5.6-pg14.sql.gz');
  writeFileSync(restorePoint, gzipSync(script));
  await postgres.createDatabase('from_restore_point');
  const result = await runCli(['restore-db', '--input', restorePoint], postgres.env('from_restore_point'));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /warning: the restored database has Immich's maintenance mode on .*immich-admin disable-maintenance-mode/);
});

test('Immich in maintenance mode: the run waits a bounded time, then is skipped with a warning notification', async () => {
  immichState.maintenanceMode = true;
  const foldersBefore = runFolders();
  const copiesBefore = copies();
  try {
    const started = Date.now();
    const result = await runCli(['backup'], env({ IMMICH_MAINTENANCE_WAIT: '2s' }));
    const elapsed = Date.now() - started;
    assert.equal(result.code, 75, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^SKIPPED: run/);
    assert.match(result.stdout, /still in maintenance mode after 2 s/);
    assert.ok(elapsed >= 2000 && elapsed < 30_000, `waited ${elapsed} ms`);
    assert.deepEqual(runFolders(), foldersBefore, 'nothing dumped');
    assert.deepEqual(copies(), copiesBefore);
    const notice = await receiver.waitFor((request) => request.body.includes('"event":"skipped"'));
    const payload = JSON.parse(notice.body) as { title: string; message: string };
    assert.match(payload.title, /Immich backup skipped/);
    assert.match(payload.message, /maintenance mode/);
    const status = JSON.parse((await runCli(['status', '--json'], env())).stdout) as { lastRun: { status: string }; healthy: boolean; counters: { failures: number } };
    assert.equal(status.lastRun.status, 'skipped');
    assert.equal(status.healthy, true, 'a skipped run alone does not make the sidecar unhealthy');
    assert.equal(status.counters.failures, 0);
  } finally {
    immichState.maintenanceMode = false;
  }
});

/** A URL where nothing listens (a port that was free a moment ago). */
async function unreachableUrl(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise((resolve) => closed.close(resolve));
  return url;
}

test("Immich's API away (it restarts into maintenance mode) but its database records maintenance mode: the run is skipped", async () => {
  await postgres.query('source', `INSERT INTO system_metadata VALUES ('maintenance-mode', '{"isMaintenanceMode": true, "secret": "s", "action": {"action": "start"}}')`);
  const foldersBefore = runFolders();
  try {
    const result = await runCli(['backup'], env({ IMMICH_URL: await unreachableUrl(), IMMICH_MAINTENANCE_WAIT: '1s' }));
    assert.equal(result.code, 75, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /still in maintenance mode \(as its database records it; its API did not answer\)/);
    assert.deepEqual(runFolders(), foldersBefore, 'nothing dumped');
  } finally {
    await postgres.query('source', `DELETE FROM system_metadata WHERE key = 'maintenance-mode'`);
  }
});

test("Immich 2.4 or older: no copy is placed, as a later Immich's web restore takes a file named -v2.4…- for a pg_dumpall cluster dump", async () => {
  const copiesBefore = copies();
  immichState.version = { major: 2, minor: 4, patch: 1 };
  try {
    const result = await runCli(['backup', '--json'], env());
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as { warnings: string[]; immich: { version: string } };
    assert.equal(report.immich.version, '2.4.1');
    assert.match(report.warnings.join('\n'), /not copied to Immich's backups folder: Immich v2\.4\.1 has no web restore \(2\.5\.0 and later\), and theirs would take a copy named -v2\.4\.1- for a pg_dumpall cluster dump/);
    assert.deepEqual(copies(), copiesBefore);
  } finally {
    immichState.version = { major: 2, minor: 5, patch: 6 };
  }
});

test('Immich unreachable: the run succeeds with a warning, and no copy is placed without a version; retention prunes the copies with their folders', async () => {
  const deadUrl = await unreachableUrl();
  const copiesBefore = copies();
  const result = await runCli(['backup', '--json'], env({ IMMICH_URL: deadUrl }));
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  const report = JSON.parse(result.stdout) as { status: string; warnings: string[]; immich: { version: string | null; migration: string } };
  assert.equal(report.status, 'success');
  assert.equal(report.immich.version, null);
  assert.equal(report.immich.migration, '1752759108283-ConvertToAbsolutePaths', 'the migration still comes from the dump');
  assert.match(report.warnings.join('\n'), /Immich at http:\/\/127\.0\.0\.1:\d+ did not answer .*the backup goes on/);
  assert.match(report.warnings.join('\n'), /not copied to Immich's backups folder: .*version is unknown/);
  assert.deepEqual(copies(), copiesBefore);

  // Keep only the newest good run: the first run's folder goes, and its copy with it; Immich's files stay.
  const third = await runCli(['backup', '--json'], env({ BACKUP_KEEP_MIN: '1', BACKUP_KEEP_DAYS: '0' }));
  assert.equal(third.code, 0, third.stderr);
  const newest = (JSON.parse(third.stdout) as { immich: { copy: string } }).immich.copy;
  assert.deepEqual(runFolders().length, 1);
  assert.deepEqual(copies(), [newest.slice(immichBackups.length + 1)]);
  assert.ok(readdirSync(immichBackups).includes('immich-db-backup-20260101T020000-v2.5.6-pg14.17.sql.gz'));
  assert.ok(readdirSync(immichBackups).includes('restore-point-immich-db-backup-20260101T030000-v2.5.6-pg14.17.sql.gz'));
  assert.ok(readdirSync(immichBackups).includes('uploaded-old.sql.gz'));
});
