import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Env } from '../../src/config.ts';
import { runCli } from '../support/cli.ts';
import { immichBookkeepingSql, startPostgres, type PostgresServer } from '../support/postgres.ts';

/**
 * verify compares the restored backup's objects with Immich's live database. Immich updated between
 * the backup and the restore test (a new release's migrations ran: the monthly test at 05:00, an
 * update at 04:00) has objects no backup before it can hold: that is no fault of the backup, and
 * must not fail the restore test (a failed one keeps /healthz 503 until one passes).
 */
let postgres: PostgresServer;
let env: Env;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-verify-live-'));
const backupDir = join(work, 'backups');

before(async () => {
  mkdirSync(backupDir);
  writeFileSync(join(work, '.env'), 'DB_PASSWORD=secret\n');
  postgres = await startPostgres('14');
  await postgres.createDatabase('immich');
  await postgres.psql('immich', readFileSync(new URL('../fixtures/immich-like.sql', import.meta.url)));
  await postgres.psql(
    'immich',
    `CREATE TABLE public.kysely_migrations (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL);
     INSERT INTO public.kysely_migrations VALUES ('1752759108283-ConvertToAbsolutePaths', '2025-07-17T00:00:00Z');`,
  );
  env = { ...postgres.env('immich'), BACKUP_DIR: backupDir, KOPIA_ENABLED: 'false', CONFIG_FILES: join(work, '.env'), TZ: 'UTC' };
  const backup = await runCli(['backup'], env);
  assert.equal(backup.code, 0, `${backup.stdout}\n${backup.stderr}`);
});
after(async () => {
  await postgres?.stop();
});

test('an object added to the live database at the same Immich migration is still reported missing from the backup', async () => {
  await postgres.query('immich', 'CREATE TABLE public.added_by_hand (id int)');
  try {
    const result = await runCli(['verify'], env);
    assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /problem: 1 object\(s\) of the live database are missing from the restored backup, e\.g\. .*added_by_hand/);
  } finally {
    await postgres.query('immich', 'DROP TABLE public.added_by_hand');
  }
});

test('Immich migrated since the backup (new tables, a newer migration): verify passes, and says the live schema was not compared', async () => {
  await postgres.psql(
    'immich',
    `CREATE TABLE public.new_release_table (id uuid PRIMARY KEY);
     CREATE INDEX new_release_index ON public.new_release_table (id);
     INSERT INTO public.kysely_migrations VALUES ('1760000000000-AddNewReleaseTable', '2026-11-26T04:00:00Z');`,
  );
  const result = await runCli(['verify'], env);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stderr, /Immich's database was migrated since the backup \(1752759108283-ConvertToAbsolutePaths -> 1760000000000-AddNewReleaseTable\)/);
  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { lastVerify: { ok: boolean } | null };
  assert.equal(status.lastVerify?.ok, true);
});

test('a database role that may not create databases (Immich without superuser): the failed restore test says what it needs and VERIFY_DATABASE_URL', async () => {
  await postgres.query('postgres', `CREATE ROLE immich_owner LOGIN PASSWORD 'owner-password'`);
  await postgres.query('postgres', 'CREATE DATABASE immich_plain OWNER immich_owner');
  await postgres.psql('immich_plain', `SET ROLE immich_owner; CREATE TABLE public.asset (id int PRIMARY KEY); INSERT INTO public.asset VALUES (1); ${immichBookkeepingSql}`);
  const roleBackups = mkdtempSync(join(tmpdir(), 'immich-backup-verify-role-'));
  const roleEnv = { ...env, BACKUP_DIR: roleBackups, DB_USERNAME: 'immich_owner', DB_PASSWORD: 'owner-password', DB_DATABASE_NAME: 'immich_plain' };
  const backup = await runCli(['backup'], roleEnv);
  assert.equal(backup.code, 0, `${backup.stdout}\n${backup.stderr}`);
  const refused = await runCli(['verify'], roleEnv);
  assert.equal(refused.code, 1, `${refused.stdout}\n${refused.stderr}`);
  assert.match(
    refused.stdout,
    /problem: restore test failed: permission denied to create database; the restore test makes a scratch database and restores the dump into it, extensions included: give immich_owner CREATEDB .*or set VERIFY_DATABASE_URL to a superuser's URL/,
  );
  const scratchServer = `postgresql://${postgres.user}:${postgres.password}@${postgres.host}:${postgres.port}/postgres`;
  const passed = await runCli(['verify'], { ...roleEnv, VERIFY_DATABASE_URL: scratchServer });
  assert.equal(passed.code, 0, `${passed.stdout}\n${passed.stderr}`);
});

test('restore-db of a backup made with DUMP_ALLOW_UNSUPPORTED names what it does not hold', async () => {
  const folder = join(backupDir, readdirSync(backupDir).find((name) => /^immich-\d{8}_\d{6}$/.test(name))!);
  const manifestPath = join(folder, 'manifest.json');
  const original = readFileSync(manifestPath, 'utf8');
  try {
    const manifest = JSON.parse(original) as { database: { unsupportedObjects: unknown[] } };
    manifest.database.unsupportedObjects = [
      { kind: 'routine whose SQL body uses unnamed parameters', schema: 'public', name: 'first_positive(integer, integer)' },
      { kind: 'view', schema: 'public', name: 'first_labels', reason: 'depends on routine whose SQL body uses unnamed parameters public.first_positive(integer, integer)' },
    ];
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await postgres.createDatabase('restored_partial');
    const result = await runCli(['restore-db', '--input', join(folder, 'dump.sql.gz')], { ...env, DB_DATABASE_NAME: 'restored_partial' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /warning: this backup does not hold 2 object\(s\) its dump could not write \(made with DUMP_ALLOW_UNSUPPORTED\), so neither does the restored database: routine whose SQL body uses unnamed parameters public\.first_positive\(integer, integer\), view public\.first_labels \(depends on /,
    );
  } finally {
    writeFileSync(manifestPath, original);
  }
});
