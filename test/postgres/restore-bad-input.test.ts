import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { runCli } from '../support/cli.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor } from './round-trip.ts';

/**
 * Issue 13 item 1: `restore-db --clean` proves its input restorable before it drops anything.
 * Every bad input leaves the target's tables and rows as they were and is one line, no stack.
 */
let server: PostgresServer;
let dump: DumpFileResult;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-bad-input-'));
const target = 'precious';

before(async () => {
  server = await startPostgres('15');
  await server.createDatabase('source');
  await server.psql('source', 'CREATE TABLE album (id integer PRIMARY KEY, name text); INSERT INTO album SELECT g, md5(g::text) FROM generate_series(1, 2000) g;');
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'dump.sql.gz') });
  await server.createDatabase(target);
  await server.psql(target, 'CREATE SCHEMA family; CREATE TABLE family.photo (id integer PRIMARY KEY, path text); INSERT INTO family.photo VALUES (1, \'a.jpg\'), (2, \'b.jpg\'); CREATE TABLE public.person (id integer); INSERT INTO public.person VALUES (42);');
});
after(async () => {
  await server?.stop();
});

async function targetContents(): Promise<string> {
  const rows = await server.query<{ t: string }>(
    target,
    `SELECT string_agg(x, ',' ORDER BY x) AS t FROM (
       SELECT 'photo:' || id || ':' || path AS x FROM family.photo UNION ALL SELECT 'person:' || id FROM public.person
       UNION ALL SELECT 'table:' || schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')) s`,
  );
  return rows[0]!.t;
}

async function assertRefusedUntouched(input: string, expected: RegExp): Promise<void> {
  const before = await targetContents();
  const result = await runCli(['restore-db', '--clean', '--input', input], { ...server.env(target), LOG_LEVEL: 'warn' });
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at |Unhandled|Z_BUF_ERROR|node:internal/);
  assert.match(lines[0]!, /^immich-backup restore-db: /);
  assert.match(lines[0]!, expected);
  assert.equal(await targetContents(), before, 'the target is unchanged');
}

test('restore-db --clean refuses a file that is not gzip, a truncated gzip and an empty file without touching the target', async () => {
  const notGzip = join(directory, 'not-gzip.sql.gz');
  writeFileSync(notGzip, Buffer.from('this is a holiday photo, not a dump \u0000\u0001\u0002'.repeat(100)));
  await assertRefusedUntouched(notGzip, /not-gzip\.sql\.gz is not gzip-compressed .*nothing was restored$/);

  const truncated = join(directory, 'truncated.sql.gz');
  const whole = readFileSync(dump.path);
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
  await assertRefusedUntouched(truncated, /truncated\.sql\.gz is not a complete gzip file \(.*\): it is truncated or damaged; nothing was restored$/);

  const empty = join(directory, 'empty.sql.gz');
  writeFileSync(empty, '');
  await assertRefusedUntouched(empty, /empty\.sql\.gz is empty: it is not a database dump; nothing was restored$/);

  // A plain script cut short (no gzip to notice it): pg_dump's last comment line is missing.
  const text = join(directory, 'cut.sql');
  const script = (await import('node:zlib')).gunzipSync(whole).toString('utf8');
  writeFileSync(text, script.slice(0, script.lastIndexOf('COPY ')));
  await assertRefusedUntouched(text, /cut\.sql is truncated: the dump does not end with "-- PostgreSQL database dump complete"/);

  const words = join(directory, 'words.sql.gz');
  writeFileSync(words, gzipSync('hello world\n'));
  await assertRefusedUntouched(words, /does not start like a SQL script \(first word "hello"\)/);

  // Terminal control sequences in a file are never echoed.
  const escapes = join(directory, 'escapes.sql');
  writeFileSync(escapes, '\u001b[2J\u001b]0;owned\u0007 DROP everything;\n');
  await assertRefusedUntouched(escapes, /does not start like a SQL script \(first word "\?\[2J\?\]0"\)/);
});

test('restore-db recognises pg_dump custom, tar and directory archives and pg_dumpall output, and names the tool to use', async () => {
  const custom = join(directory, 'custom.dump');
  await server.pgDump('source', ['-Fc', '-f', custom]);
  await assertRefusedUntouched(custom, /custom\.dump is a pg_dump custom-format archive \(-Fc\), not a plain SQL script: restore it with pg_restore; nothing was restored$/);

  const customGz = join(directory, 'custom.sql.gz');
  writeFileSync(customGz, gzipSync(readFileSync(custom)));
  await assertRefusedUntouched(customGz, /custom-format archive .*restore it with pg_restore/);

  const tar = join(directory, 'archive.tar');
  await server.pgDump('source', ['-Ft', '-f', tar]);
  await assertRefusedUntouched(tar, /archive\.tar is a tar archive .*restore a pg_dump tar archive with pg_restore/);

  const folder = join(directory, 'folder-dump');
  await server.pgDump('source', ['-Fd', '-f', folder]);
  await assertRefusedUntouched(folder, /folder-dump is a pg_dump directory-format archive \(-Fd\).*restore it with pg_restore/);

  const cluster = join(directory, 'immich-db-backup.sql.gz');
  writeFileSync(cluster, gzipSync('--\n-- PostgreSQL database cluster dump\n--\n\nSET default_transaction_read_only = off;\nCREATE ROLE postgres;\n'));
  await assertRefusedUntouched(cluster, /is a pg_dumpall cluster dump .*restore it with psql/);
});

test('--clean drops and restores in one transaction: a failure late in the script leaves the target as it was', async () => {
  const script = (await import('node:zlib')).gunzipSync(readFileSync(dump.path)).toString('utf8');
  const broken = join(directory, 'broken.sql.gz');
  // Valid to the end (so it passes the checks), failing on the server after the data is in.
  writeFileSync(broken, gzipSync(script.replace('-- PostgreSQL database dump complete', 'SELECT 1/0;\n-- PostgreSQL database dump complete')));
  const before = await targetContents();
  const result = await runCli(['restore-db', '--clean', '--input', broken], { ...server.env(target), LOG_LEVEL: 'warn' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /division by zero \(rolled back: the database is as it was\)/);
  assert.equal(await targetContents(), before);

  // Asked for explicitly, without a transaction: the message says what was dropped.
  await server.createDatabase('expendable');
  await server.psql('expendable', 'CREATE SCHEMA old_stuff; CREATE TABLE old_stuff.t (id integer);');
  const loose = await runCli(['restore-db', '--clean', '--no-single-transaction', '--input', broken], { ...server.env('expendable'), LOG_LEVEL: 'warn' });
  assert.equal(loose.code, 1);
  assert.match(loose.stderr, /--clean without a transaction had dropped schema\(s\) (public, old_stuff|old_stuff, public): the database is partly restored/);

  const good = await runCli(['restore-db', '--clean', '--input', dump.path], { ...server.env(target), LOG_LEVEL: 'warn' });
  assert.equal(good.code, 0, good.stderr);
  assert.equal((await server.query<{ n: string }>(target, 'SELECT count(*)::text AS n FROM public.album'))[0]!.n, '2000');
});
