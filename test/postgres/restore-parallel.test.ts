import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { copyTable, parallelDdlTables } from '../../src/postgres/parallel-restore.ts';
import { runCli } from '../support/cli.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor } from './round-trip.ts';

/**
 * Issue 16: restore-db --jobs loads table data in pieces on several connections and builds indexes
 * and key constraints side by side, from a plain script that psql reads unchanged.
 */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-restore-parallel-'));

function rows(count: number, row: (i: number) => string): string {
  return Array.from({ length: count }, (_, i) => `${row(i + 1)}\n`).join('');
}

/**
 * An unqualified script: workers find the tables only if they share the leader's search_path, and
 * the photo rows hold a backslash escape, read right only with the leader's session settings.
 */
function script({ duplicateAlbum = false, badPhotoRow = 0 } = {}): string {
  return [
    "SET client_encoding = 'UTF8';",
    'SET standard_conforming_strings = on;',
    'CREATE SCHEMA family;',
    "SELECT pg_catalog.set_config('search_path', 'family', false);",
    'CREATE TABLE album (id integer NOT NULL, name text);',
    'CREATE TABLE photo (id integer NOT NULL, album_id integer, path text);',
    'CREATE TABLE tag (photo_id integer, tag text);',
    'COPY album (id, name) FROM stdin;',
    rows(300, (i) => `${duplicateAlbum && i === 300 ? 1 : i}\talbum ${i}`) + '\\.',
    'COPY photo (id, album_id, path) FROM stdin;',
    rows(20_000, (i) => (i === badPhotoRow ? `${i}\tnot a number\tx` : `${i}\t${1 + (i % 300)}\t/library/${i}.jpg\\ttab`)) + '\\.',
    'COPY tag (photo_id, tag) FROM stdin;',
    rows(5_000, (i) => `${i}\ttag ${i % 7}`) + '\\.',
    "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('family.album', 'id'), 1, false) WHERE false;",
    'ALTER TABLE ONLY album ADD CONSTRAINT album_pkey PRIMARY KEY (id);',
    'ALTER TABLE ONLY photo ADD CONSTRAINT photo_pkey PRIMARY KEY (id);',
    'CREATE INDEX photo_album_idx ON family.photo USING btree (album_id);',
    'CREATE INDEX tag_tag_idx ON family.tag USING btree (tag);',
    "COMMENT ON INDEX tag_tag_idx IS 'tags';",
    'ALTER TABLE ONLY photo ADD CONSTRAINT photo_album_fkey FOREIGN KEY (album_id) REFERENCES album(id);',
    'ALTER TABLE ONLY tag ADD CONSTRAINT tag_photo_fkey FOREIGN KEY (photo_id) REFERENCES photo(id);',
    '',
  ].join('\n');
}

function writeScript(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, gzipSync(text));
  return path;
}

before(async () => {
  server = await startPostgres('16');
});
after(async () => {
  await server?.stop();
});

test('restore-db --jobs 4 loads the tables in pieces and builds keys and indexes on several connections: the same database as psql', async () => {
  const input = writeScript('good.sql.gz', script());
  await server.createDatabase('by_psql');
  await server.psql('by_psql', script());
  await server.createDatabase('by_jobs');
  const result = await restoreDatabase({ connection: connectionFor(server, 'by_jobs'), input, jobs: 4, pieceBytes: 16 * 1024 });
  assert.equal(result.copiedRows, 25_300);
  assert.equal(result.tables, 3);
  assert.ok(result.parallel !== undefined, 'ran in parallel');
  assert.ok(result.parallel.pieces >= 8, `photo's ~700 KiB cut into pieces (at the reader's batch boundaries): ${JSON.stringify(result.parallel)}`);
  assert.equal(result.parallel.ddl, 6, 'two primary keys, two indexes, two foreign keys on workers');
  assert.ok(result.parallel.mostAtOnce > 1, JSON.stringify(result.parallel));
  const describe = async (database: string) =>
    server.query<{ d: string }>(
      database,
      `SELECT (SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conname) FROM pg_constraint WHERE connamespace = 'family'::regnamespace)
           || (SELECT string_agg(indexname || ':' || coalesce(obj_description(format('family.%I', indexname)::regclass), ''), ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'family')
           || (SELECT md5(string_agg(format('%s|%s|%s', id, album_id, path), ',' ORDER BY id)) FROM family.photo)
           || (SELECT md5(string_agg(format('%s|%s', photo_id, tag), ',' ORDER BY photo_id)) FROM family.tag)
           || (SELECT md5(string_agg(format('%s|%s', id, name), ',' ORDER BY id)) FROM family.album) AS d`,
    );
  assert.deepEqual(await describe('by_jobs'), await describe('by_psql'));
  const path = await server.query<{ path: string }>('by_jobs', 'SELECT path FROM family.photo WHERE id = 7');
  assert.equal(path[0]!.path, '/library/7.jpg\ttab');
  // --clean --no-single-transaction: dropped (after the file was proven good), then restored on 4 connections.
  const again = await restoreDatabase({ connection: connectionFor(server, 'by_jobs'), input, clean: true, singleTransaction: false, jobs: 4, pieceBytes: 16 * 1024 });
  assert.ok(again.parallel !== undefined && again.parallel.mostAtOnce > 1, JSON.stringify(again.parallel));
  assert.deepEqual(await describe('by_jobs'), await describe('by_psql'));
});

test('with --jobs, a bad row in a later piece and a unique key that fails both stop the restore naming the statement line', async () => {
  await server.createDatabase('bad_row');
  const badRow = writeScript('bad-row.sql.gz', script({ badPhotoRow: 15_000 }));
  await assert.rejects(
    restoreDatabase({ connection: connectionFor(server, 'bad_row'), input: badRow, jobs: 4, pieceBytes: 16 * 1024 }),
    (error: unknown) => error instanceof UserError && /^restore failed at line 310 \(COPY photo \(id, album_id, path\) FROM stdin;\): .*invalid input syntax for type integer: "not a number"/.test(error.message),
  );
  await server.createDatabase('duplicate');
  const duplicate = writeScript('duplicate.sql.gz', script({ duplicateAlbum: true }));
  await assert.rejects(
    restoreDatabase({ connection: connectionFor(server, 'duplicate'), input: duplicate, jobs: 4, pieceBytes: 16 * 1024 }),
    (error: unknown) => error instanceof UserError && /^restore failed at line \d+ \(ALTER TABLE ONLY album ADD CONSTRAINT album_pkey PRIMARY KEY \(id\);\): could not create unique index/.test(error.message),
  );
  // Nothing of the failed restores goes on in the server (running statements are cancelled, connections closed).
  let left = -1;
  for (const deadline = Date.now() + 10_000; left !== 0 && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
    const [row] = await server.query<{ n: string }>('postgres', `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'immich-backup restore%'`);
    left = Number(row!.n);
  }
  assert.equal(left, 0, 'restore connections left behind');
});

test('with --jobs, a script that opens its own transaction keeps it on one connection until it ends', async () => {
  await server.createDatabase('own_transaction');
  const input = writeScript(
    'transaction.sql.gz',
    ['BEGIN;', 'CREATE TABLE public.t (x integer);', 'COPY public.t (x) FROM stdin;', rows(2000, (i) => String(i)) + '\\.', 'CREATE INDEX t_x ON public.t USING btree (x);', 'COMMIT;',
      'CREATE TABLE public.u (x integer);', 'COPY public.u (x) FROM stdin;', rows(2000, (i) => String(i)) + '\\.', ''].join('\n'),
  );
  const result = await restoreDatabase({ connection: connectionFor(server, 'own_transaction'), input, jobs: 4, pieceBytes: 1024 });
  assert.equal(result.copiedRows, 4000);
  assert.ok(result.parallel !== undefined && result.parallel.pieces > 1 && result.parallel.ddl === 0, JSON.stringify(result.parallel));
  const [row] = await server.query<{ n: string }>('own_transaction', `SELECT (SELECT count(*) FROM public.t) + (SELECT count(*) FROM public.u) AS n`);
  assert.equal(Number(row!.n), 4000);
});

test('restore-db refuses --jobs above 1 in one transaction (--clean), and a --jobs that is not a number', async () => {
  const input = writeScript('cli.sql.gz', script());
  const clean = await runCli(['restore-db', '--clean', '--jobs', '2', '--input', input], { ...server.env('postgres'), LOG_LEVEL: 'warn' });
  assert.equal(clean.code, 64, clean.stderr);
  assert.match(clean.stderr, /--jobs loads on several connections, which cannot share one transaction/);
  const notNumber = await runCli(['restore-db', '--jobs', 'many', '--input', input], { ...server.env('postgres'), LOG_LEVEL: 'warn' });
  assert.equal(notNumber.code, 64, notNumber.stderr);
  assert.match(notNumber.stderr, /--jobs must be a whole number from 1 to 64, not "many"/);
});

test('only text-format COPY blocks are cut into pieces (a CSV field may hold a newline)', () => {
  assert.equal(copyTable('COPY public.asset (id, "originalPath", "a)b") FROM stdin;'), 'asset');
  assert.equal(copyTable('COPY "Odd Schema"."no columns"  FROM stdin;'), 'no columns');
  assert.equal(copyTable("COPY public.t (x) FROM stdin WITH (FORMAT csv);"), undefined);
  assert.equal(copyTable('COPY public.t FROM stdin BINARY;'), undefined);
});

test('only indexes and key constraints go to workers, with the tables they lock', () => {
  assert.deepEqual(parallelDdlTables('CREATE UNIQUE INDEX "a b" ON ONLY "Odd Schema"."select" USING btree (x);'), ['select']);
  assert.deepEqual(
    parallelDdlTables('ALTER TABLE ONLY public.asset_face\n    ADD CONSTRAINT "fk" FOREIGN KEY ("assetId") REFERENCES public.asset(id) ON DELETE CASCADE;'),
    ['asset_face', 'asset'],
  );
  assert.equal(parallelDdlTables("CREATE INDEX i ON public.t USING btree (x) WHERE (y <> ';');"), undefined);
  assert.equal(parallelDdlTables('ALTER TABLE ONLY public.t ADD CONSTRAINT c CHECK ((x > 0));'), undefined);
  assert.deepEqual(parallelDdlTables('CREATE INDEX i ON public."Asset" USING btree (x);'), ['Asset']);
  assert.deepEqual(parallelDdlTables('CREATE INDEX i ON public.ASSET USING btree (x);'), ['asset']);
  assert.equal(parallelDdlTables('ALTER INDEX public.p ATTACH PARTITION public.c;'), undefined);
});
