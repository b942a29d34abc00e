import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { runCli } from '../support/cli.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { assertSameLines, comparableSchemaDump, connectionFor, describeBoth, fixturePath } from './round-trip.ts';

/** Issue 5, restore-db: acceptance 1–4, on PostgreSQL 15 (so pg_dump 15 can make and check dumps too). */
let server: PostgresServer;
let dump: DumpFileResult;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-restore-'));

before(async () => {
  server = await startPostgres('15');
  await server.createDatabase('source');
  await server.psql('source', readFileSync(fixturePath));
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'dump.sql.gz') });
});
after(async () => {
  await server?.stop();
});

async function restoreDb(args: string[], database: string) {
  return runCli(['restore-db', ...args], server.env(database));
}

test('our dump restored with restore-db equals our dump restored with psql (schema and data)', async () => {
  await server.createDatabase('by_psql');
  await server.psql('by_psql', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
  await server.createDatabase('by_restore_db');
  const result = await restoreDb(['--input', dump.path], 'by_restore_db');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /restored .*: \d+ statements, \d+ tables, \d+ rows/);
  const expected = await describeBoth(server, 'by_psql');
  const actual = await describeBoth(server, 'by_restore_db');
  assertSameLines(actual.schema, expected.schema, 'schema');
  assertSameLines(actual.data, expected.data, 'data');
  assertSameLines(
    comparableSchemaDump(await server.pgDump('by_restore_db', ['--schema-only'])),
    comparableSchemaDump(await server.pgDump('by_psql', ['--schema-only'])),
    'pg_dump --schema-only',
  );
});

test("a plain pg_dump --clean --if-exists dump of the fixture restores with restore-db too", async () => {
  const plain = await server.pgDump('source', ['--clean', '--if-exists']);
  assert.match(plain, /^\\restrict /m, 'this pg_dump writes \\restrict, which restore-db must accept');
  const path = join(directory, 'pg_dump.sql');
  writeFileSync(path, plain);
  await server.createDatabase('from_pg_dump');
  const result = await restoreDb(['--input', path, '--single-transaction'], 'from_pg_dump');
  assert.equal(result.code, 0, result.stderr);
  const expected = await describeBoth(server, 'source');
  const actual = await describeBoth(server, 'from_pg_dump');
  assertSameLines(actual.schema.filter((line) => !line.startsWith('database setting')), expected.schema.filter((line) => !line.startsWith('database setting')), 'schema');
  assertSameLines(actual.data, expected.data, 'data');
});

test('a truncated or altered dump is refused by its manifest checksum before the database is touched', async () => {
  const run = join(directory, 'immich-20261124_020000');
  mkdirSync(run);
  const file = join(run, 'dump.sql.gz');
  copyFileSync(dump.path, file);
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  writeFileSync(
    join(run, 'manifest.json'),
    JSON.stringify({
      formatVersion: 1, tool: 'immich-backup', toolVersion: '0.1.0', runId: 'immich-20261124_020000', status: 'complete',
      startedAt: '2026-11-24T02:00:00.000Z', finishedAt: '2026-11-24T02:01:00.000Z', database: null,
      files: [{ path: 'dump.sql.gz', size: statSync(file).size, sha256 }], timings: {}, warnings: [], error: null,
    }),
  );
  await server.createDatabase('checked');
  const good = await restoreDb(['--input', file], 'checked');
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /checksum verified against manifest.json/);

  truncateSync(file, statSync(file).size - 1000);
  await server.createDatabase('untouched');
  const truncated = await restoreDb(['--input', file], 'untouched');
  assert.equal(truncated.code, 1);
  assert.match(truncated.stderr, /does not match its manifest.*nothing was restored/);
  const tables = await server.query('untouched', `SELECT 1 FROM pg_class WHERE relnamespace = 'public'::regnamespace`);
  assert.equal(tables.length, 0, 'the target was not touched');
});

test('a failing statement in the middle with --single-transaction leaves the target unchanged, naming the line', async () => {
  const sql = gunzipSync(readFileSync(dump.path)).toString('utf8');
  const marker = 'CREATE TABLE public.asset (';
  const broken = sql.replace(marker, `SELECT 1/0;\n${marker}`);
  const path = join(directory, 'broken.sql.gz');
  writeFileSync(path, gzipSync(broken));
  await server.createDatabase('rolled_back');
  await server.psql('rolled_back', 'CREATE TABLE keep_me (id integer); INSERT INTO keep_me VALUES (42);');
  const before = await describeBoth(server, 'rolled_back');
  const result = await restoreDb(['--input', path, '--single-transaction', '--clean'], 'rolled_back');
  assert.equal(result.code, 1);
  const line = broken.slice(0, broken.indexOf('SELECT 1/0;')).split('\n').length;
  assert.match(result.stderr, new RegExp(`restore failed at line ${line} \\(SELECT 1/0;\\): division by zero`));
  const after = await describeBoth(server, 'rolled_back');
  assert.deepEqual(after, before);
});

test('without --clean, a database that already has tables is refused and left as it was', async () => {
  await server.createDatabase('occupied');
  await server.psql('occupied', 'CREATE TABLE mine (id integer); INSERT INTO mine VALUES (7);');
  const before = await describeBoth(server, 'occupied');
  const result = await restoreDb(['--input', dump.path], 'occupied');
  assert.equal(result.code, 1);
  assert.match(result.stderr, /already holds 1 table\(s\): nothing was restored. Use --clean/);
  assert.deepEqual(await describeBoth(server, 'occupied'), before);

  const clean = await restoreDb(['--input', dump.path, '--clean', '--single-transaction'], 'occupied');
  assert.equal(clean.code, 0, clean.stderr);
  const restored = await describeBoth(server, 'occupied');
  const expected = await describeBoth(server, 'by_psql');
  assertSameLines(restored.data, expected.data, 'data after --clean');
  assertSameLines(restored.schema, expected.schema, 'schema after --clean');
  assertSameLines(
    comparableSchemaDump(await server.pgDump('occupied', ['--schema-only'])),
    comparableSchemaDump(await server.pgDump('by_psql', ['--schema-only'])),
    'pg_dump --schema-only after --clean (public schema owner and privileges as in a fresh database)',
  );
});

test('psql meta-commands: \\connect to another database and unknown commands are refused with their line; an empty file is not a success', async () => {
  await server.createDatabase('meta_target');
  const clusterDump = join(directory, 'cluster.sql');
  writeFileSync(clusterDump, 'CREATE TABLE before_connect (id integer);\n\\connect immich\nCREATE TABLE after_connect (id integer);\n');
  const cluster = await restoreDb(['--input', clusterDump, '--single-transaction'], 'meta_target');
  assert.equal(cluster.code, 1);
  assert.match(cluster.stderr, /line 2: the dump switches to database immich \(\\connect\): it is a cluster dump/);
  assert.deepEqual(await server.query('meta_target', `SELECT 1 FROM pg_class WHERE relname = 'before_connect'`), [], 'rolled back');

  const sameDatabase = join(directory, 'same.sql');
  writeFileSync(sameDatabase, "\\connect -reuse-previous=on \"dbname='meta_target'\"\nCREATE TABLE here (id integer);\n");
  const same = await restoreDb(['--input', sameDatabase], 'meta_target');
  assert.equal(same.code, 0, same.stderr);

  const shell = join(directory, 'shell.sql');
  writeFileSync(shell, 'SELECT 1;\n\\! touch /tmp/should-not-exist\n');
  await server.createDatabase('meta_shell');
  const refused = await restoreDb(['--input', shell], 'meta_shell');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /line 2: the psql command \\! is not supported/);

  const empty = join(directory, 'empty.sql.gz');
  writeFileSync(empty, gzipSync('-- nothing here\n'));
  await server.createDatabase('meta_empty');
  const nothing = await restoreDb(['--input', empty], 'meta_empty');
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /holds no SQL statements: it is not a database dump/);
});

test('--clean over a database Immich is still connected to is refused, naming the connections, instead of waiting on their locks', { timeout: 90_000 }, async () => {
  await server.createDatabase('in_use');
  await server.psql('in_use', 'CREATE TABLE mine (id integer); INSERT INTO mine VALUES (7);');
  const immich = await server.connect('in_use');
  try {
    await immich.query("SET application_name = 'immich_api'");
    // An open transaction that read the table: its lock holds any DROP back until it ends.
    await immich.query('BEGIN');
    await immich.query('SELECT * FROM mine');
    const started = Date.now();
    const result = await restoreDb(['--input', dump.path, '--clean'], 'in_use');
    assert.ok(Date.now() - started < 60_000, `answered in ${Date.now() - started} ms`);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /database in_use has 1 other connection\(s\) \(immich_api\): nothing was restored\. Stop Immich first/);
    assert.deepEqual((await server.query<{ id: number }>('in_use', 'SELECT id FROM mine')).map((row) => row.id), [7], 'left as it was');
  } finally {
    await immich.query('ROLLBACK').catch(() => undefined);
    await immich.end();
  }
});

