import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';

/**
 * Immich's own dumps (pg_dump, owners kept: `ALTER TABLE ... OWNER TO <DB_USERNAME>`) restored into
 * a new stack whose database user has another name: the old role does not exist there. restore-db
 * names the role and the way out (--no-owner, which leaves the objects to the restoring user, as
 * Immich's own restore does by rewriting those statements), and --no-owner restores it.
 */
let postgres: PostgresServer;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-restore-owner-'));
const dump = join(work, 'immich-db-backup-20261126T020000-v2.5.6-pg14.sql.gz');

before(async () => {
  postgres = await startPostgres('14');
  await postgres.query('postgres', 'CREATE ROLE old_immich_user LOGIN');
  await postgres.createDatabase('old_stack');
  await postgres.psql(
    'old_stack',
    `CREATE TYPE public.asset_visibility AS ENUM ('timeline', 'hidden');
     CREATE TABLE public.asset (id int PRIMARY KEY, "originalPath" text DEFAULT 'x OWNER TO nobody', visibility public.asset_visibility);
     CREATE FUNCTION public.immich_uuid_v7() RETURNS int LANGUAGE sql AS 'SELECT 1';
     INSERT INTO public.asset VALUES (1, '/data/library/a.jpg', 'timeline'), (2, '/data/library/b.jpg', 'hidden');
     ALTER TYPE public.asset_visibility OWNER TO old_immich_user;
     ALTER TABLE public.asset OWNER TO old_immich_user;
     ALTER FUNCTION public.immich_uuid_v7() OWNER TO old_immich_user;
     ALTER SCHEMA public OWNER TO old_immich_user;`,
  );
  // As Immich's nightly job: pg_dump --clean --if-exists, owners kept.
  writeFileSync(dump, gzipSync(await postgres.pgDump('old_stack', ['--clean', '--if-exists'])));
  await postgres.dropDatabase('old_stack');
  await postgres.query('postgres', 'DROP ROLE old_immich_user');
});
after(async () => {
  await postgres?.stop();
});

test('a dump giving its objects to a role this server lacks: refused naming the role and --no-owner, nothing restored', async () => {
  await postgres.createDatabase('new_stack');
  const result = await runCli(['restore-db', '--input', dump, '--single-transaction'], postgres.env('new_stack'));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /role "old_immich_user" does not exist/);
  assert.match(result.stderr, /the dump gives its objects to role old_immich_user, which this server does not have: restore with --no-owner .*or create the role first/);
  assert.deepEqual(await postgres.query('new_stack', `SELECT to_regclass('public.asset') AS t`), [{ t: null }]);
});

test('--no-owner restores it, everything owned by the restoring user; data and OWNER TO inside values untouched', async () => {
  await postgres.createDatabase('new_stack_no_owner');
  for (const jobs of ['1', '4']) {
    if (jobs === '4') {
      await postgres.dropDatabase('new_stack_no_owner');
      await postgres.createDatabase('new_stack_no_owner');
    }
    const result = await runCli(['restore-db', '--input', dump, '--no-owner', '--jobs', jobs], postgres.env('new_stack_no_owner'));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /--no-owner: \d+ ownership statement\(s\) skipped \(role\(s\) old_immich_user\): the objects belong to postgres/);
    const owners = await postgres.query<{ owner: string; n: string }>(
      'new_stack_no_owner',
      `SELECT pg_get_userbyid(c.relowner) AS owner, count(*)::text AS n FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace GROUP BY 1`,
    );
    assert.deepEqual(owners.map((row) => row.owner), ['postgres']);
    const rows = await postgres.query('new_stack_no_owner', `SELECT id, "originalPath", visibility::text FROM public.asset ORDER BY id`);
    assert.deepEqual(rows, [
      { id: 1, originalPath: '/data/library/a.jpg', visibility: 'timeline' },
      { id: 2, originalPath: '/data/library/b.jpg', visibility: 'hidden' },
    ]);
    const defaults = await postgres.query<{ d: string }>('new_stack_no_owner', `SELECT pg_get_expr(adbin, adrelid) AS d FROM pg_attrdef WHERE adrelid = 'public.asset'::regclass`);
    assert.match(defaults[0]!.d, /x OWNER TO nobody/);
  }
});
