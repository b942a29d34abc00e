import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Env } from '../../src/config.ts';
import { runCli } from '../support/cli.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';

/**
 * Immich's documented setup without superuser: a superuser created the extensions, Immich's role owns
 * the database. restore-db --clean as that role drops the extensions with the public schema and
 * cannot create them again: refused, rolled back, and the message says what to do instead.
 */
let postgres: PostgresServer;
let roleEnv: Env;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-restore-privileges-'));
const dump = join(work, 'immich.sql.gz');

before(async () => {
  postgres = await startPostgres('16');
  await postgres.query('postgres', `CREATE ROLE immich_owner LOGIN PASSWORD 'owner-password'`);
  await postgres.query('postgres', 'CREATE DATABASE immich OWNER immich_owner');
  await postgres.psql('immich', 'CREATE EXTENSION cube; CREATE EXTENSION earthdistance;');
  await postgres.psql('immich', `SET ROLE immich_owner; CREATE TABLE public.place (id int PRIMARY KEY, at public.earth); INSERT INTO public.place VALUES (1, public.ll_to_earth(48.85, 2.35));`);
  roleEnv = { ...postgres.env('immich'), DB_USERNAME: 'immich_owner', DB_PASSWORD: 'owner-password' };
  const dumped = await runCli(['dump', '--output', dump], roleEnv);
  assert.equal(dumped.code, 0, dumped.stderr);
});
after(async () => {
  await postgres?.stop();
});

test('restore-db --clean as a role that may not create the extensions: rolled back, and told to restore as a superuser or into a prepared database', async () => {
  const result = await runCli(['restore-db', '--input', dump, '--clean'], roleEnv);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /permission denied to create extension "earthdistance".*rolled back: the database is as it was/);
  assert.match(result.stderr, /creating extension earthdistance needs a superuser, and --clean dropped the target's with its schema: restore as the superuser .*or into a new database where a superuser created the extensions first, without --clean/);
  const rows = await postgres.query('immich', 'SELECT count(*)::int AS n FROM public.place');
  assert.deepEqual(rows, [{ n: 1 }], 'the database is as it was');
});
