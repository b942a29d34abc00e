import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { dumpToFile } from '../../src/postgres/dump.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';

/**
 * Issue 11, the hang: while a parallel dump runs, an ALTER TABLE from another session queues
 * behind the leader's ACCESS SHARE lock; a worker that then asked for its own lock on that table
 * would queue behind the ALTER, and nothing would ever move again. Workers lock NOWAIT (as
 * pg_dump -j does): the dump ends at once, naming the table and the waiting statement, and the
 * ALTER goes through.
 */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-lock-wait-'));

before(async () => {
  server = await startPostgres('14');
  await server.createDatabase('immich');
  // Two tables big enough to keep both workers copying for a while, and the ALTER's target last.
  await server.psql(
    'immich',
    `CREATE TABLE a_big1 (id integer PRIMARY KEY, payload text);
     CREATE TABLE a_big2 (id integer PRIMARY KEY, payload text);
     CREATE TABLE z_target (id integer PRIMARY KEY, note text);
     INSERT INTO a_big1 SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 400000) g;
     INSERT INTO a_big2 SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 400000) g;
     INSERT INTO z_target SELECT g, 'note ' || g FROM generate_series(1, 100) g;`,
  );
});
after(async () => {
  await server?.stop().catch(() => undefined);
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('parallel dump + ALTER TABLE from another session: the dump fails at once naming the table and the ALTER, which then goes through', { timeout: 60_000 }, async (t) => {
  const path = join(directory, 'dump.sql.gz');
  const started = Date.now();
  const dump = dumpToFile({ connection: { host: server.host, port: server.port, user: server.user, password: server.password, database: 'immich' }, path, jobs: 2 });
  dump.catch(() => undefined);
  const observer = await server.connect('immich');
  const migration = await server.connect('immich');
  let alter: Promise<unknown> | undefined;
  try {
    // Once both workers are copying a big table, the target has its leader lock but no worker lock yet.
    await until('both workers to copy', async () => {
      const rows = (await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'immich-backup dump worker' AND query LIKE 'COPY%' AND state = 'active'`)).rows;
      return rows[0].n === 2 ? true : undefined;
    });
    alter = migration.query('ALTER TABLE public.z_target ADD COLUMN added_by_migration integer');
    alter.catch(() => undefined);
    const [pid] = await until('the ALTER to queue behind the dump', async () => {
      const rows = (await observer.query(`SELECT pid FROM pg_locks WHERE relation = 'public.z_target'::regclass AND mode = 'AccessExclusiveLock' AND NOT granted`)).rows;
      return rows.length === 1 ? [rows[0].pid as number] : undefined;
    });
    // The precondition that makes the outcome certain: no worker holds the target yet.
    const workerLocks = (await observer.query(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.relation = 'public.z_target'::regclass AND a.application_name = 'immich-backup dump worker'`,
    )).rows[0].n as number;
    assert.equal(workerLocks, 0, 'a worker locked the target before the ALTER queued: the copies were too fast for this test');

    await assert.rejects(dump, (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`^cannot copy table public\\.z_target: another session is waiting to change it \\(pid ${pid}, AccessExclusiveLock: ALTER TABLE public\\.z_target ADD COLUMN added_by_migration integer\\)`),
      );
      return true;
    });
    const dumpSeconds = (Date.now() - started) / 1000;
    t.diagnostic(`measured: dumpSeconds = ${dumpSeconds} s (since started)`);
    assert.ok(dumpSeconds < 30, `the dump took ${dumpSeconds} s`);
    // The ALTER was waiting only for the dump: it goes through as soon as the dump let go.
    await Promise.race([alter, new Promise((_, reject) => setTimeout(() => reject(new Error('the ALTER still waits 10 s after the dump ended')), 10_000))]);
    const columns = (await observer.query(`SELECT attname FROM pg_attribute WHERE attrelid = 'public.z_target'::regclass AND attname = 'added_by_migration'`)).rows;
    assert.equal(columns.length, 1);
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(directory), [], 'no .partial file and no temporary member left');
    // Every dump connection is closed (a backend takes a moment to go once its client has left).
    await until('every dump connection to close', async () => {
      const rows = (await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'immich-backup dump%'`)).rows;
      return rows[0].n === 0 ? true : undefined;
    }, 5000);
  } finally {
    await Promise.allSettled([alter]);
    await observer.end();
    await migration.end();
  }
});

test('with one job the leader copies under its own locks: an ALTER TABLE waits for the dump, which succeeds', { timeout: 60_000 }, async () => {
  const path = join(directory, 'one-job.sql.gz');
  const dump = dumpToFile({ connection: { host: server.host, port: server.port, user: server.user, password: server.password, database: 'immich' }, path, jobs: 1 });
  const observer = await server.connect('immich');
  const migration: pg.Client = await server.connect('immich');
  try {
    await until('the dump to copy', async () => {
      const rows = (await observer.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'immich-backup dump' AND query LIKE 'COPY%' AND state = 'active'`)).rows;
      return rows.length === 1 ? true : undefined;
    });
    const alter = migration.query('ALTER TABLE public.z_target ADD COLUMN second_migration integer');
    const result = await dump;
    assert.equal(result.tables.find((table) => table.name === 'z_target')?.rows, 100);
    await alter;
  } finally {
    await observer.end();
    await migration.end();
  }
});

test('DUMP_TIMEOUT while the dump waits for its locks: the dump fails at the deadline and its server backends are gone, not left waiting with their locks', { timeout: 60_000 }, async (t) => {
  const path = join(directory, 'deadline.sql.gz');
  const blocker = await server.connect('immich');
  const observer = await server.connect('immich');
  try {
    // A migration holding the table: the dump's LOCK TABLE waits for it (up to its 60 s lock timeout).
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE public.z_target IN ACCESS EXCLUSIVE MODE');
    const started = Date.now();
    await assert.rejects(
      dumpToFile({ connection: { host: server.host, port: server.port, user: server.user, password: server.password, database: 'immich' }, path, jobs: 2, timeoutMs: 2000 }),
      /the dump did not finish within 2 s \(DUMP_TIMEOUT\)/,
    );
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`measured: seconds = ${seconds} s (since started)`);
    assert.ok(seconds < 6, `failed after ${seconds} s`);
    // The backend that was waiting for the lock was cancelled, though the blocker still holds it.
    await until('the dump backend to go', async () => {
      const rows = (await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'immich-backup dump%'`)).rows;
      return rows[0].n === 0 ? true : undefined;
    }, 5000);
    assert.equal(existsSync(`${path}.partial`), false);
  } finally {
    await blocker.query('ROLLBACK').catch(() => undefined);
    await blocker.end();
    await observer.end();
  }
});
