import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { lockFileName } from '../../src/backup/lock.ts';
import { startCli } from '../support/cli.ts';
import { createBulkAssetTable, immichBookkeepingSql, runCommand, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Issue 13, item 2, servers that stop answering mid-run. Mid-dump: a database that stops answering while the dump copies (the server
 * frozen with `docker pause`, as a hung host or a dead network path would leave it). The stall
 * timeout ends the run naming the table, with progress lines while it waits; the overall deadline
 * ends it too; SIGTERM ends it within seconds. Each time: exit 1, failure notified, no .partial,
 * no lock. In the Kopia step: a Kopia server that accepts connections and never answers, and
 * SIGTERM while the run waits for it.
 */
let server: PostgresServer;
let receiver: WebhookReceiver;
let paused = false;

before(async () => {
  server = await startPostgres('14');
  await server.createDatabase('immich');
  await createBulkAssetTable(server, 'immich', 300000);
  receiver = await startWebhookReceiver();
});
after(async () => {
  await resume();
  await receiver?.close();
  await server?.stop().catch(() => undefined);
});

async function docker(...args: string[]): Promise<void> {
  const result = await runCommand('docker', args);
  assert.equal(result.code, 0, result.stderr);
}

/**
 * `docker pause` freezes the container's cgroup. On a busy machine the freezer can give up while a
 * backend is in the middle of I/O ("unable to freeze"); that says nothing about the code under test,
 * so freezing is tried again a few times before the test fails.
 */
async function freeze(containerId: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const result = await runCommand('docker', ['pause', containerId]);
    if (result.code === 0) return;
    if (attempt === 5 || !result.stderr.includes('unable to freeze')) assert.fail(`docker pause failed: ${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function resume(): Promise<void> {
  if (!paused) return;
  await docker('unpause', server.container.getId());
  paused = false;
}

/** Starts `backup`, freezes the server once the dump is copying the table, and returns the running process. */
async function backupThenFreeze(extraEnv: Record<string, string>) {
  const backupDir = mkdtempSync(join(tmpdir(), 'stalled-db-'));
  const before = receiver.requests.length;
  const running = startCli(['backup'], {
    ...server.env('immich'),
    BACKUP_DIR: backupDir,
    KOPIA_ENABLED: 'false',
    CONFIG_FILES: '/nonexistent/compose.yml',
    WEBHOOK_URL: `${receiver.url}/hook`,
    DUMP_JOBS: '2',
    ...extraEnv,
  });
  const observer = await server.connect('postgres');
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await observer.query(`SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'immich-backup dump%' AND query LIKE 'COPY%' AND state = 'active'`);
      if (rows.length > 0) break;
      assert.ok(Date.now() < deadline, 'the dump never started copying');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await observer.end();
  }
  try {
    await freeze(server.container.getId());
  } catch (error) {
    // A run left going would notify into the next test's window.
    running.child.kill('SIGKILL');
    await running.exited;
    throw error;
  }
  paused = true;
  const frozenAt = Date.now();
  return { running, backupDir, frozenAt, notified: () => receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; message: string }) };
}

function assertNothingLeft(backupDir: string): void {
  const left = readdirSync(backupDir).filter((name) => name.endsWith('.partial') || name === lockFileName || name.startsWith('immich-') || name.startsWith('.immich-2'));
  assert.deepEqual(left, [], 'no run folder, .partial folder or lock may be left');
}

test('the server stops answering mid-copy: DUMP_STALL_TIMEOUT ends the run naming the table, with "still waiting" lines before', { timeout: 90_000 }, async (t) => {
  // One connection: with two, the other may be taking its lock for the next piece of the table when
  // the server freezes, and which of the two waits is older (and named) depends on timing.
  const { running, backupDir, frozenAt, notified } = await backupThenFreeze({ DUMP_STALL_TIMEOUT: '4s', DUMP_JOBS: '1' });
  try {
    const result = await running.exited;
    const seconds = (Date.now() - frozenAt) / 1000;
    t.diagnostic(`measured: seconds = ${seconds} s (since frozenAt)`);
    assert.equal(result.code, 1, result.stderr);
    assert.ok(seconds >= 3 && seconds < 15, `ended ${seconds} s after the server froze`);
    assert.match(result.stdout, /the database sent nothing for \d+(\.\d)? s while the dump was waiting for table public\.asset \(DUMP_STALL_TIMEOUT\)/);
    assert.match(result.stderr, /still waiting for table public\.asset: \d+ s/);
    assert.deepEqual(notified().map((n) => n.event), ['failure']);
    assert.match(notified()[0]!.message, /DUMP_STALL_TIMEOUT/);
    assertNothingLeft(backupDir);
  } finally {
    await resume();
  }
});

test('DUMP_TIMEOUT: a dump still running at the deadline fails, and the failure is notified', { timeout: 90_000 }, async (t) => {
  const { running, backupDir, notified, frozenAt } = await backupThenFreeze({ DUMP_TIMEOUT: '3s' });
  try {
    const result = await running.exited;
    t.diagnostic(`measured: ended ${(Date.now() - frozenAt) / 1000} s after the server froze`);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /the dump did not finish within 3 s \(DUMP_TIMEOUT\)/);
    assert.deepEqual(notified().map((n) => n.event), ['failure']);
    assertNothingLeft(backupDir);
  } finally {
    await resume();
  }
});

test('SIGTERM while the dump waits on a server that stopped answering: the process ends within 5 s, failure notified, nothing left', { timeout: 90_000 }, async (t) => {
  const { running, backupDir, notified } = await backupThenFreeze({});
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const signalled = Date.now();
    running.child.kill('SIGTERM');
    const result = await running.exited;
    const seconds = (Date.now() - signalled) / 1000;
    t.diagnostic(`measured: seconds = ${seconds} s (since signalled)`);
    assert.ok(seconds < 5, `ended ${seconds} s after SIGTERM`);
    assert.equal(result.signal, null);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /interrupted by SIGTERM/);
    assert.deepEqual(notified().map((n) => n.event), ['failure']);
    assertNothingLeft(backupDir);
  } finally {
    await resume();
  }
});

/** A Kopia server that accepts connections and never answers; counts the connections it got. */
async function startSilentKopia() {
  const sockets = new Set<Socket>();
  let connections = 0;
  const listener = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => listener.close(resolve));
    },
  };
}

for (const [phase, connection] of [
  ['the start-up check of the Kopia server', 1],
  ['the Kopia step (the dump is done)', 2],
] as const) {
  test(`SIGTERM while ${phase} waits on a Kopia server that never answers: the process ends within 5 s, failure notified, lock released`, { timeout: 90_000 }, async (t) => {
    const database = `small_${connection}`;
    await server.createDatabase(database);
    await server.psql(database, 'CREATE TABLE asset (id integer PRIMARY KEY); INSERT INTO asset SELECT generate_series(1, 10);' + immichBookkeepingSql);
    const kopia = await startSilentKopia();
    const backupDir = mkdtempSync(join(tmpdir(), 'stalled-kopia-'));
    const library = mkdtempSync(join(tmpdir(), 'stalled-kopia-library-'));
    mkdirSync(join(library, 'library'));
    writeFileSync(join(library, 'library', 'photo.jpg'), 'jpeg');
    const compose = join(backupDir, '..', `${database}-compose.yml`);
    writeFileSync(compose, 'services: {}\n');
    const before = receiver.requests.length;
    const running = startCli(['backup'], {
      ...server.env(database),
      BACKUP_DIR: backupDir,
      LIBRARY_PATH: library,
      KOPIA_LIBRARY_PATH: library,
      KOPIA_BACKUPS_PATH: backupDir,
      KOPIA_SERVER_URL: kopia.url,
      KOPIA_SERVER_PASSWORD: 'kopia-password-not-secret',
      CONFIG_FILES: compose,
      WEBHOOK_URL: `${receiver.url}/hook`,
    });
    try {
      // The start-up check opens the first connection; after its 10 s limit, the run dumps and the Kopia step opens the second.
      const deadline = Date.now() + 60_000;
      while (kopia.connections() < connection) {
        if (Date.now() > deadline) {
          running.child.kill('SIGKILL');
          assert.fail(`the run never reached ${phase}: ${(await running.exited).stdout}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const signalled = Date.now();
      running.child.kill('SIGTERM');
      const result = await running.exited;
      const seconds = (Date.now() - signalled) / 1000;
      t.diagnostic(`measured: seconds = ${seconds} s (since signalled)`);
      assert.ok(seconds < 5, `ended ${seconds} s after SIGTERM`);
      assert.equal(result.signal, null);
      assert.notEqual(result.code, 0, result.stdout);
      assert.match(result.stdout, /interrupted by SIGTERM/);
      const notified = receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string });
      assert.deepEqual(notified.map((n) => n.event), ['failure']);
      assert.deepEqual(readdirSync(backupDir).filter((name) => name.endsWith('.partial') || name === lockFileName), []);
    } finally {
      running.child.kill('SIGKILL');
      await kopia.close();
    }
  });
}
