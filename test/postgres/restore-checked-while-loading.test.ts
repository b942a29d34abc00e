import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { runCli } from '../support/cli.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor } from './round-trip.ts';

/**
 * Issue 16: into an EMPTY database, restore-db checks its input in the same read that restores it
 * (no separate read first). A file found bad part-way or at the end must never pass for a restore:
 * the exit code is not 0 and the one-line message says the target is incomplete and must not be used.
 * With one transaction the target is rolled back instead. (--clean over a database with tables still
 * proves the whole file first: restore-bad-input.test.ts.)
 */
let server: PostgresServer;
let dump: DumpFileResult;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-checked-while-loading-'));
let databases = 0;

before(async () => {
  server = await startPostgres('15');
  await server.createDatabase('source');
  // Several MiB of script, so that a cut falls well after the first statements ran.
  await server.psql(
    'source',
    `CREATE TABLE album (id integer PRIMARY KEY, name text); INSERT INTO album SELECT g, md5(g::text) FROM generate_series(1, 2000) g;
     CREATE TABLE photo (id integer PRIMARY KEY, album_id integer REFERENCES album, path text);
     INSERT INTO photo SELECT g, 1 + g % 2000, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 120000) g;`,
  );
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'dump.sql.gz') });
});
after(async () => {
  await server?.stop();
});

async function emptyTarget(): Promise<string> {
  databases += 1;
  const name = `target_${databases}`;
  await server.createDatabase(name);
  return name;
}

async function tableCount(database: string): Promise<number> {
  const rows = await server.query<{ n: string }>(database, `SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = 'public'`);
  return Number(rows[0]!.n);
}

/** Restores `input` into a new empty database; asserts a one-line failure matching `expected`. */
async function assertFailsLoudly(input: string, args: string[], expected: RegExp): Promise<{ target: string; message: string }> {
  const target = await emptyTarget();
  const result = await runCli(['restore-db', '--input', input, ...args], { ...server.env(target), LOG_LEVEL: 'warn' });
  assert.equal(result.code, 1, `exit code, stderr:\n${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at |Unhandled|node:internal/);
  assert.match(lines[0]!, expected);
  return { target, message: lines[0]! };
}

const incomplete = /It was checked while it was restored \(the target was empty\): \d+ statements had already run, so database target_\d+ is INCOMPLETE and must not be used/;

test('a truncated gzip restored into an empty database fails naming the damage and the target as incomplete (--jobs 1 and 4)', async () => {
  const truncated = join(directory, 'truncated.sql.gz');
  const whole = readFileSync(dump.path);
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
  for (const jobs of ['1', '4']) {
    const { target, message } = await assertFailsLoudly(truncated, ['--jobs', jobs], /truncated\.sql\.gz is not a complete gzip file \(.*\): it is truncated or damaged\. /);
    assert.match(message, incomplete);
    assert.ok((await tableCount(target)) > 0, 'the restore had started: the check did not hold it back');
  }
});

test('a byte flipped in the middle of the gzip data fails the restore into an empty database, never exit 0', async () => {
  const flipped = join(directory, 'flipped.sql.gz');
  const bytes = Buffer.from(readFileSync(dump.path));
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = bytes[middle]! ^ 0x55;
  writeFileSync(flipped, bytes);
  await assertFailsLoudly(flipped, [], /flipped\.sql\.gz is not a complete gzip file \(.*\): it is truncated or damaged\. .*INCOMPLETE and must not be used/);
});

test('a file that restores but does not match its manifest fails at the end, after the load, naming the target as incomplete', async () => {
  const run = join(directory, 'immich-20261124_020000');
  mkdirSync(run);
  const file = join(run, 'dump.sql.gz');
  writeFileSync(file, readFileSync(dump.path));
  writeFileSync(
    join(run, 'manifest.json'),
    JSON.stringify({
      formatVersion: 1, tool: 'immich-backup', toolVersion: '0.1.0', runId: 'immich-20261124_020000', status: 'complete',
      startedAt: '2026-11-24T02:00:00.000Z', finishedAt: '2026-11-24T02:01:00.000Z', database: null,
      files: [{ path: 'dump.sql.gz', size: statSync(file).size, sha256: '0'.repeat(64) }], timings: {}, warnings: [], error: null,
    }),
  );
  const { target, message } = await assertFailsLoudly(file, [], /dump\.sql\.gz does not match its manifest \(size \d+ vs \d+, sha256 .* vs 000000000000…\): the file is damaged or truncated\. /);
  assert.match(message, incomplete);
  assert.equal(await tableCount(target), 2, 'everything was loaded before the end showed the mismatch');
});

test('a plain script cut after a whole statement (no gzip to notice) fails at the end: its last line is missing', async () => {
  const script = gunzipSync(readFileSync(dump.path)).toString('utf8');
  const cut = join(directory, 'cut.sql');
  writeFileSync(cut, script.slice(0, script.indexOf('ALTER TABLE ONLY')));
  await assertFailsLoudly(cut, [], /cut\.sql is truncated: the dump does not end with "-- PostgreSQL database dump complete"\. .*INCOMPLETE and must not be used/);
});

test('in one transaction (--single-transaction), a damaged file found part-way leaves the empty target as it was', async () => {
  const truncated = join(directory, 'truncated-once.sql.gz');
  const whole = readFileSync(dump.path);
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
  const { target } = await assertFailsLoudly(truncated, ['--single-transaction'], /truncated-once\.sql\.gz is not a complete gzip file \(.*\): it is truncated or damaged; nothing was restored \(rolled back: the database is as it was\)$/);
  assert.equal(await tableCount(target), 0);
});

test('the same file, whole, restores into an empty database with the check done in the same read', async () => {
  const target = await emptyTarget();
  const result = await runCli(['restore-db', '--input', dump.path], { ...server.env(target), LOG_LEVEL: 'warn' });
  assert.equal(result.code, 0, result.stderr);
  const rows = await server.query<{ n: string }>(target, 'SELECT count(*)::text AS n FROM public.photo');
  assert.equal(rows[0]!.n, '120000');
});
