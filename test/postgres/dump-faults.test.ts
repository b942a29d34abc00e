import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dumpStep } from '../../src/backup/steps/dump.ts';
import type { StepContext } from '../../src/backup/steps/step.ts';
import { loadSidecarConfig, type Env } from '../../src/config.ts';
import { captureLog } from '../support/log-capture.ts';
import { immichBookkeepingSql, startPostgres, type PostgresServer } from '../support/postgres.ts';

/** Issue 13 item 7: the dump's errors say what to fix: a missing privilege, a connection that went away. */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'dump-faults-'));

before(async () => {
  server = await startPostgres('16');
  await server.createDatabase('immich');
  await server.psql(
    'immich',
    `CREATE TABLE asset (id integer PRIMARY KEY, path text);
     INSERT INTO asset SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 200000) g;
     CREATE TABLE secret_album (id integer);
     CREATE ROLE reader LOGIN PASSWORD 'reader-password-not-secret';
     ${immichBookkeepingSql}
     GRANT SELECT ON asset, kysely_migrations TO reader;`,
  );
});
after(async () => {
  await server?.stop();
});

function dumpWith(env: Env, name: string) {
  const config = loadSidecarConfig({ KOPIA_ENABLED: 'false', ...env });
  const { log } = captureLog();
  const context: StepContext = { runId: name, signal: new AbortController().signal, log, progress: () => undefined };
  mkdirSync(join(directory, name));
  return dumpStep(config)(join(directory, name, 'dump.sql.gz'), context);
}

test('a table the database user may not read: "permission denied for table X: ... needs SELECT", not "is a migration running?"', async () => {
  const env = { ...server.env('immich'), DB_USERNAME: 'reader', DB_PASSWORD: 'reader-password-not-secret' };
  await assert.rejects(dumpWith(env, 'privilege'), (error: Error) => {
    assert.equal(error.message, 'permission denied for table secret_album: the database user needs SELECT on every table (or be the owner)');
    return true;
  });
});

test('a connection lost mid-dump names the server (host and port), never the password', async () => {
  const dumping = dumpWith({ ...server.env('immich'), DUMP_JOBS: '1' }, 'lost');
  const outcome = dumping.then(
    () => 'finished',
    (error: Error) => error,
  );
  // Terminate the dump's connections as soon as they are copying.
  let terminated = 0;
  while (terminated === 0 && !(await Promise.race([outcome.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 20))]))) {
    const rows = await server.query<{ ok: boolean }>(
      'postgres',
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name LIKE 'immich-backup dump%' AND query ILIKE 'COPY%'`,
    );
    terminated = rows.length;
  }
  const error = await outcome;
  assert.ok(terminated > 0, 'the dump was still copying when its connection was cut');
  assert.ok(error instanceof Error, 'the dump failed');
  assert.match(error.message, new RegExp(`^lost the connection to the database at ${server.host}:${server.port}: `));
  assert.doesNotMatch(error.message, new RegExp(server.password));
});

test('a password with $, spaces, quotes, %, @, / and : works from DB_PASSWORD, and percent-encoded in DB_URL; it is never printed', async () => {
  const password = `p@ss w/o$rd'"%:;\\x`;
  await server.psql('immich', `CREATE ROLE special LOGIN SUPERUSER PASSWORD '${password.replaceAll("'", "''")}';`);
  const fromParts = await dumpWith({ ...server.env('immich'), DB_USERNAME: 'special', DB_PASSWORD: password }, 'special-parts');
  assert.ok(fromParts.size > 0);
  const url = `postgresql://special:${encodeURIComponent(password)}@${server.host}:${server.port}/immich`;
  const fromUrl = await dumpWith({ DB_URL: url }, 'special-url');
  assert.equal(fromUrl.tables.length, fromParts.tables.length);
  // A wrong one is refused naming the user, not echoing what was given.
  await assert.rejects(dumpWith({ ...server.env('immich'), DB_USERNAME: 'special', DB_PASSWORD: `${password}!` }, 'special-wrong'), (error: unknown) => {
    assert.match(String(error), /password authentication failed for user "special"/);
    assert.ok(!String(error).includes(password), 'the password is not in the message');
    return true;
  });
});

test('Immich truncating a table while it is dumped waits for the dump: the dump is one consistent snapshot with every row', async () => {
  const immich = await server.connect('immich');
  await immich.query('BEGIN');
  // Short: the TRUNCATE must be seen waiting while the dump still runs (it goes through once the dump ends).
  await immich.query(`SET LOCAL lock_timeout = '50ms'`);
  try {
    // Level 9: a slower dump, still going when the TRUNCATE comes just after its COPY started.
    const outcome = dumpWith({ ...server.env('immich'), DUMP_JOBS: '1', DUMP_COMPRESSION_LEVEL: '9' }, 'truncate').then(
      (result) => result,
      (error: Error) => error,
    );
    for (;;) {
      const copying = await server.query('postgres', `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'immich-backup dump%' AND query ILIKE 'COPY%'`);
      if (copying.length > 0) break;
      assert.ok(!(await Promise.race([outcome.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10))])), 'the dump ended before it was seen copying');
    }
    await assert.rejects(immich.query('TRUNCATE asset'), (error: { code?: string }) => error.code === '55P03', 'held back by the dump until it ends');
    const result = await outcome;
    assert.ok(!(result instanceof Error), String(result));
    assert.equal(result.tables.find((table) => table.name === 'asset')?.rows, 200_000);
  } finally {
    await immich.query('ROLLBACK').catch(() => undefined);
    await immich.end();
  }
});
