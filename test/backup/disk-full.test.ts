import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { checksumCacheFileName } from '../../src/backup/checksums.ts';
import { lockFileName } from '../../src/backup/lock.ts';
import { runBackup } from '../../src/backup/run.ts';
import { stateFileName } from '../../src/backup/state.ts';
import type { RunReport } from '../../src/report.ts';
import { captureLog } from '../support/log-capture.ts';
import { runCli } from '../support/cli.ts';
import { immichBookkeepingSql, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { dayMs, makeRunFolder } from './helpers.ts';

/**
 * BACKUP_DIR runs out of space (a small tmpfs as BACKUP_DIR): in the middle of a run, the run fails
 * with exit 1 saying "no space left" and where, nothing half-written is left that list, status or
 * retention could take for a backup, and the older good backup is still there and good. Already full
 * when a run starts (even the run lock cannot be written): a failed run, notified like any other.
 */
let server: PostgresServer;
let receiver: WebhookReceiver;
const root = mkdtempSync(join(tmpdir(), 'disk-full-'));
const mounts: string[] = [];

/**
 * A folder on a tmpfs of `size`. Mounting needs root (the test machines run the tests as root);
 * where it is refused, a developer's run skips the test saying why, and CI (CI set) fails: no
 * test may be skipped there.
 */
function smallDisk(t: TestContext, name: string, size: string): string | undefined {
  const path = join(root, name);
  mkdirSync(path);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    const why = `cannot mount a small tmpfs here (${String(error).split('\n')[0]})`;
    if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(`${why}: CI runs every test; run it as root`, { cause: error });
    t.skip(why);
    return undefined;
  }
  mounts.push(path);
  return path;
}

before(async () => {
  receiver = await startWebhookReceiver();
  server = await startPostgres('16');
  await server.createDatabase('immich');
  // About 6 MB of hex text: compressed, still about 3 MB, more than the 2 MB disk.
  await server.psql(
    'immich',
    `CREATE TABLE asset (id integer PRIMARY KEY, checksum text);
     INSERT INTO asset SELECT g, md5(random()::text) || md5(random()::text) FROM generate_series(1, 90000) g;
     ${immichBookkeepingSql}`,
  );
});
after(async () => {
  for (const path of mounts) execFileSync('umount', ['-l', path]);
  await server?.stop().catch(() => undefined);
  await receiver?.close();
});

function env(backupDir: string, configFiles: string[], extra: Record<string, string> = {}) {
  return {
    ...server.env('immich'),
    BACKUP_DIR: backupDir,
    KOPIA_ENABLED: 'false',
    IMMICH_URL: 'off',
    LIBRARY_PATH: root,
    CONFIG_FILES: configFiles.join(','),
    WEBHOOK_URL: `${receiver.url}/hook`,
    ...extra,
  };
}

function assertNothingHalfWritten(backupDir: string, older: string): void {
  const left = readdirSync(backupDir).filter((name) => name !== older && (name.startsWith('.immich-') || name.startsWith('immich-') || name === lockFileName));
  assert.deepEqual(left.filter((name) => name !== checksumCacheFileName && name !== stateFileName), [], 'no half-written run folder, partial folder or lock');
}

for (const jobs of ['1', '2']) {
  test(`the disk fills up during the dump (DUMP_JOBS=${jobs}): exit 1 "no space left", nothing half-written, the older backup kept and good`, { timeout: 120_000 }, async (t) => {
    const backupDir = smallDisk(t, `dump-${jobs}`, '2m');
    if (backupDir === undefined) return;
    const older = makeRunFolder(backupDir, new Date(Date.now() - 3 * dayMs), 'good');
    const configDir = mkdtempSync(join(root, 'config-'));
    writeFileSync(join(configDir, 'docker-compose.yml'), 'name: immich\n');
    const before = receiver.requests.length;
    const result = await runCli(['backup'], env(backupDir, [join(configDir, 'docker-compose.yml')], { DUMP_JOBS: jobs }));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, new RegExp(`error: dump: dump failed: no space left on the device holding ${backupDir}/`));
    assertNothingHalfWritten(backupDir, older);
    const list = JSON.parse((await runCli(['list', '--local', '--json'], env(backupDir, []))).stdout) as { local: { name: string; state: string }[] };
    assert.deepEqual(list.local.map((folder) => [folder.name, folder.state]), [[older, 'good']]);
    const notified = receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; message: string });
    assert.deepEqual(notified.map((n) => n.event), ['failure']);
    assert.match(notified[0]!.message, new RegExp(`no space left on the device holding ${backupDir}/`));
  });
}

test('the disk fills up while the config files are copied: exit 1 "no space left" naming the file, nothing half-written', { timeout: 120_000 }, async (t) => {
  const backupDir = smallDisk(t, 'config', '6m');
  if (backupDir === undefined) return;
  const older = makeRunFolder(backupDir, new Date(Date.now() - 3 * dayMs), 'good');
  const configDir = mkdtempSync(join(root, 'config-'));
  writeFileSync(join(configDir, 'docker-compose.yml'), Buffer.alloc(4 * 1024 * 1024, 'x'));
  const before = receiver.requests.length;
  const result = await runCli(['backup'], env(backupDir, [join(configDir, 'docker-compose.yml')], { DUMP_COMPRESSION_LEVEL: '9' }));
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, new RegExp(`error: config-copy: no space left on the device holding ${backupDir}/\\.immich-[^/]+\\.partial/config: docker-compose\\.yml was not written`));
  assertNothingHalfWritten(backupDir, older);
  const notified = receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; message: string });
  assert.deepEqual(notified.map((n) => n.event), ['failure']);
  assert.ok(existsSync(join(backupDir, older)));
});

/** Fills what is left of `folder`'s disk. */
function fill(folder: string): void {
  const fd = openSync(join(folder, 'filler'), 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

test('a disk already full when a scheduled run starts: the run cannot take its lock, and says so as a failure, notified', async (t) => {
  const backupDir = smallDisk(t, 'full', '1m');
  if (backupDir === undefined) return;
  fill(backupDir);
  const { log } = captureLog();
  const notified: [string, RunReport][] = [];
  const report = await runBackup({
    backupDir,
    log,
    signal: new AbortController().signal,
    trigger: 'schedule',
    notify: async (event, run) => notified.push([event, run]),
    steps: {
      dump: () => Promise.reject(new Error('the dump must not start')),
      checkLibrary: async () => ({ ok: true, found: [], warnings: [] }),
      copyConfig: async () => ({ copied: [], missing: [] }),
      retention: async () => ({ deleted: [], kept: [], errors: [] }),
    },
  });
  assert.equal(report.status, 'failed');
  assert.equal(report.exitCode, 1);
  assert.match(report.error!, new RegExp(`^the run could not start: no space left on the device holding ${backupDir}`));
  assert.deepEqual(notified.map(([event]) => event), ['failure']);
  assert.equal(notified[0]![1].error, report.error);
  assert.deepEqual(readdirSync(backupDir), ['filler'], 'nothing left behind, no lock');
});

test('backup (the CLI) on a full disk: exit 1, the failure is notified, not only printed', async (t) => {
  const backupDir = smallDisk(t, 'full-cli', '1m');
  if (backupDir === undefined) return;
  fill(backupDir);
  const before = receiver.requests.length;
  const result = await runCli(['backup'], env(backupDir, ['/nonexistent/compose.yml']));
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /immich-backup backup: the backups folder `[^`]+` cannot be used: no space left on the device/);
  const notified = receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; message: string });
  assert.deepEqual(notified.map((n) => n.event), ['failure']);
  assert.match(notified[0]!.message, /no space left on the device/);
});

