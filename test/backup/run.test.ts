import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyConfigFiles } from '../../src/backup/steps/config-copy.ts';
import { checkLibrary } from '../../src/backup/steps/library-check.ts';
import { acquireRunLock, lockFileName, RunLockedError } from '../../src/backup/lock.ts';
import { manifestSchema } from '../../src/backup/manifest.ts';
import type { RunReport } from '../../src/report.ts';
import { applyRetention } from '../../src/backup/steps/retention.ts';
import { listRunFolders } from '../../src/backup/run-folders.ts';
import { runBackup } from '../../src/backup/run.ts';
import type { BackupSteps } from '../../src/backup/steps/index.ts';
import { loadState } from '../../src/backup/state.ts';
import { captureLog } from '../support/log-capture.ts';

/**
 * The run's orchestration with its steps injected: what each step's failure does to the exit
 * code, the folders and the notifications. The real dump and Kopia steps are exercised end to end
 * in test/sidecar/.
 */
function setup(overrides: Partial<BackupSteps> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'run-'));
  const backupDir = join(root, 'backups');
  const configDir = join(root, 'config');
  const library = join(root, 'library');
  mkdirSync(configDir, { recursive: true });
  // All six folders Immich checks at start, each with its marker: the library check has nothing to say.
  for (const folder of ['library', 'upload', 'thumbs', 'encoded-video', 'profile', 'backups']) {
    mkdirSync(join(library, folder), { recursive: true });
    writeFileSync(join(library, folder, '.immich'), '1');
  }
  writeFileSync(join(configDir, 'docker-compose.yml'), 'services: {}\n');
  writeFileSync(join(configDir, '.env'), 'DB_PASSWORD=secret\n', { mode: 0o644 });
  const { log } = captureLog();
  const calls: string[] = [];
  const steps: BackupSteps = {
    async dump(file) {
      calls.push('dump');
      const content = Buffer.from('-- dump\n');
      writeFileSync(file, content);
      return {
        serverVersion: '16.4',
        database: 'immich',
        tables: [{ schema: 'public', name: 'asset', rows: 42, bytes: 100, sha256: 'b'.repeat(64) }],
        size: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
        uncompressedBytes: 100,
      };
    },
    checkLibrary: () => checkLibrary(library),
    copyConfig: (folder) =>
      copyConfigFiles([join(configDir, 'docker-compose.yml'), join(configDir, '.env'), join(configDir, 'missing.yml')], folder, [join(configDir, 'missing.yml')]),
    retention: () => applyRetention(backupDir, { keepDays: 7, keepMin: 3 }, { log }),
    async snapshotBackups() {
      calls.push('kopia-backups');
      return { id: 'snap-backups', source: 'root@kopia:/backups', totalSize: 10, fileCount: 3 };
    },
    async snapshotLibrary() {
      calls.push('kopia-library');
      return { id: 'snap-library', source: 'root@kopia:/library', totalSize: 1000, fileCount: 2 };
    },
    ...overrides,
  };
  const notifications: { event: string; report: RunReport }[] = [];
  const run = (signal = new AbortController().signal) =>
    runBackup({
      backupDir,
      steps,
      log,
      signal,
      trigger: 'manual',
      notify: async (event, report) => {
        notifications.push({ event, report });
      },
    });
  return { backupDir, run, notifications, calls, steps };
}

test('a good run: named folder with dump, config copies (0600) and a complete manifest; success notified', async () => {
  const { backupDir, run, notifications, calls } = setup();
  const report = await run();
  assert.equal(report.exitCode, 0, report.error ?? '');
  assert.equal(report.status, 'success');
  assert.deepEqual(calls, ['dump', 'kopia-backups', 'kopia-library']);
  const entries = readdirSync(backupDir).filter((name) => !name.startsWith('.immich-backup'));
  assert.deepEqual(entries, [report.runId]);
  assert.match(report.runId, /^immich-\d{8}_\d{6}$/);
  const folder = join(backupDir, report.runId);
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')));
  assert.equal(manifest.status, 'complete');
  assert.deepEqual(manifest.files.map((file) => file.path).sort(), ['config/.env', 'config/docker-compose.yml', 'dump.sql.gz']);
  for (const file of manifest.files) {
    assert.equal(createHash('sha256').update(readFileSync(join(folder, file.path))).digest('hex'), file.sha256);
  }
  assert.equal(statSync(join(folder, 'config', '.env')).mode & 0o777, 0o600);
  assert.deepEqual(manifest.kopia, { backups: { id: 'snap-backups', source: 'root@kopia:/backups' }, library: { id: 'snap-library', source: 'root@kopia:/library' }, repository: null, errors: [] });
  assert.match(report.warnings.join('\n'), /missing\.yml \(ENOENT\)/);
  assert.deepEqual(report.steps.map((step) => [step.name, step.status]), [
    ['dump', 'ok'],
    ['library-check', 'ok'],
    ['config-copy', 'warning'],
    ['manifest', 'ok'],
    ['retention', 'ok'],
    ['kopia-backups', 'ok'],
    ['kopia-library', 'ok'],
  ]);
  assert.deepEqual(notifications.map((n) => n.event), ['start', 'success']);
  assert.equal(notifications[1]!.report.dump?.rows, 42);
  assert.equal((await listRunFolders(backupDir))[0]!.state, 'good');
  const state = await loadState(backupDir);
  assert.equal(state.runs[0]!.runId, report.runId);
  assert.equal(state.counters.failures, 0);
  assert.equal(readdirSync(backupDir).includes(lockFileName), false, 'the lock is released');
});

test('a config file that cannot be read and is not optional fails the run: exit 1, no folder, the fix named', async () => {
  const root = mkdtempSync(join(tmpdir(), 'run-config-'));
  const { backupDir, run, calls } = setup({
    copyConfig: (folder) => copyConfigFiles([join(root, 'docker-compose.yml')], folder),
  });
  const report = await run();
  assert.equal(report.exitCode, 1);
  assert.equal(report.failedStep, 'config-copy');
  assert.match(report.error!, /config file `.*docker-compose\.yml` does not exist in the container: mount it .* or list it in CONFIG_FILES_OPTIONAL/);
  assert.deepEqual(calls, ['dump'], 'nothing is snapshotted after an incomplete local backup');
  assert.deepEqual(await listRunFolders(backupDir), []);
});

test('the database step fails: exit 1, no run folder at all, failure notified naming the step', async () => {
  const { backupDir, run, notifications, calls } = setup({
    async dump(file) {
      writeFileSync(file, 'half a dump');
      throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
    },
  });
  const report = await run();
  assert.equal(report.exitCode, 1);
  assert.equal(report.failedStep, 'dump');
  assert.match(report.error!, /ECONNREFUSED/);
  assert.equal(report.folder, null);
  assert.deepEqual(calls, [], 'no Kopia step after a failed dump');
  assert.deepEqual(await listRunFolders(backupDir), []);
  assert.deepEqual(notifications.map((n) => n.event), ['start', 'failure']);
  assert.equal(notifications[1]!.report.failedStep, 'dump');
  assert.equal((await loadState(backupDir)).counters.failuresByStep.dump, 1);
});

test('a Kopia step fails: exit 2, the local backup is kept and good, the other snapshot still made', async () => {
  const { backupDir, run, notifications, calls } = setup({
    async snapshotBackups() {
      calls.push('kopia-backups');
      throw new Error('Kopia server http://kopia:51515 unreachable (ECONNREFUSED)');
    },
  });
  const report = await run();
  assert.equal(report.exitCode, 2);
  assert.equal(report.failedStep, 'kopia-backups');
  assert.deepEqual(calls, ['dump', 'kopia-backups', 'kopia-library']);
  const [folder] = await listRunFolders(backupDir);
  assert.equal(folder?.state, 'good');
  assert.equal(folder?.manifest?.status, 'complete');
  assert.match(folder!.manifest!.kopia!.errors[0]!, /^kopia-backups: .*unreachable/);
  assert.equal(folder!.manifest!.kopia!.library?.id, 'snap-library');
  assert.equal(notifications[1]!.event, 'failure');
  assert.match(notifications[1]!.report.error!, /kopia-backups/);
});

test('an aborted dump (SIGTERM) leaves nothing that looks like a backup', async () => {
  const controller = new AbortController();
  const { backupDir, run } = setup({
    async dump(file, context) {
      writeFileSync(file, 'partial');
      controller.abort(new Error('interrupted by SIGTERM'));
      context.signal.throwIfAborted();
      throw new Error('unreachable');
    },
  });
  const report = await run(controller.signal);
  assert.equal(report.exitCode, 1);
  assert.deepEqual(await listRunFolders(backupDir), []);
  assert.deepEqual(readdirSync(backupDir).filter((name) => name.includes('partial')), []);
});

test('runs never overlap: a second run is refused clearly while the first holds the lock', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { run, backupDir } = setup({
    async dump(file) {
      await gate;
      writeFileSync(file, 'x');
      return { serverVersion: '16', database: 'immich', tables: [], size: 1, sha256: createHash('sha256').update('x').digest('hex'), uncompressedBytes: 1 };
    },
  });
  const first = run();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(run(), (error: unknown) => {
    assert.ok(error instanceof RunLockedError);
    assert.equal(error.exitCode, 75);
    assert.match(error.message, /another backup run is in progress \(run immich-\d{8}_\d{6}, pid \d+/);
    return true;
  });
  release();
  assert.equal((await first).exitCode, 0);
  // After the first finished, the lock is free again.
  const lock = await acquireRunLock(backupDir, 'x');
  await lock.release();
});

test('a lock left by a dead process, or by an earlier incarnation of this PID, is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const { hostname } = await import('node:os');
  writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: 2 ** 22 - 3, host: hostname(), processStart: '1', runId: 'old', since: new Date().toISOString() }));
  const lock = await acquireRunLock(dir, 'new');
  assert.match(readFileSync(join(dir, lockFileName), 'utf8'), /"runId":"new"/);
  await lock.release();
  writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: process.pid, host: hostname(), processStart: '1', runId: 'before-restart', since: new Date().toISOString() }));
  const again = await acquireRunLock(dir, 'after-restart');
  await again.release();
  writeFileSync(join(dir, lockFileName), 'garbage');
  await (await acquireRunLock(dir, 'garbage')).release();
});

test('a webhook receiver that is down or never answers changes neither the result nor how long the run waits', async () => {
  const { createServer } = await import('node:http');
  const { notifyAll } = await import('../../src/notify/index.ts');
  const { webhookNotifier } = await import('../../src/notify/webhook.ts');
  // One receiver that accepts the connection and never answers, one port where nothing listens.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as { port: number }).port;
  try {
    const { backupDir, steps } = setup();
    const { log } = captureLog();
    const notifiers = [webhookNotifier(`http://127.0.0.1:${silentPort}/hook`), webhookNotifier('http://127.0.0.1:9/hook')];
    const started = Date.now();
    const report = await runBackup({
      backupDir,
      steps,
      log,
      signal: new AbortController().signal,
      trigger: 'manual',
      notify: (event, run) => notifyAll(event, run, { notifiers, onStart: true, onSuccess: true, timeoutMs: 300, retries: 1, backoffMs: 50, log }).then(() => undefined),
    });
    assert.equal(report.exitCode, 0, report.error ?? '');
    assert.equal(report.status, 'success');
    assert.ok(Date.now() - started < 10_000, `the run took ${Date.now() - started} ms`);
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});


test('two runs in the same second: the second folder is named `…-2` and its manifest says so, written once', async () => {
  const { backupDir, steps } = setup();
  const { log } = captureLog();
  const second = new Date('2026-03-02T02:00:00');
  const run = () => runBackup({ backupDir, steps, log, signal: new AbortController().signal, trigger: 'manual', now: () => second });
  const first = await run();
  const again = await run();
  assert.equal(first.exitCode, 0, first.error ?? '');
  assert.equal(again.exitCode, 0, again.error ?? '');
  assert.equal(again.runId, `${first.runId}-2`);
  assert.equal(again.folder, join(backupDir, again.runId));
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(backupDir, again.runId, 'manifest.json'), 'utf8')));
  assert.equal(manifest.runId, again.runId);
  assert.equal((await listRunFolders(backupDir)).filter((folder) => folder.state === 'good').length, 2);
  assert.deepEqual(readdirSync(join(backupDir, again.runId)).filter((name) => name.endsWith('.tmp')), []);
});

test('a library mount that never answers (a hung NFS share) does not hold the database backup back: the check gives up with a warning', { timeout: 30_000 }, async () => {
  const { backupDir, steps } = setup({ checkLibrary: () => new Promise(() => {}) });
  const { log } = captureLog();
  const report = await runBackup({ backupDir, steps, log, signal: new AbortController().signal, trigger: 'manual', libraryCheckTimeoutMs: 300 });
  assert.equal(report.exitCode, 0, report.error ?? '');
  assert.ok(report.folder !== null && readdirSync(backupDir).includes(report.runId), 'the local backup is complete');
  assert.equal(report.steps.find((step) => step.name === 'library-check')?.status, 'warning');
  assert.match(report.warnings.join('\n'), /the library check got no answer within 300 ms: is the library's mount \(NFS, SMB\) hung\? The database backup went on without it/);
});

test('SIGTERM while the library check waits on a hung mount ends the run at once, before docker stop would kill it', { timeout: 30_000 }, async () => {
  const stop = new AbortController();
  // SIGTERM arrives once the check is waiting (not after a fixed delay: on a busy machine the dump
  // step could still be running then, and the test would be about another step).
  const { backupDir, steps } = setup({
    checkLibrary: () => {
      setTimeout(() => stop.abort(new Error('the service is stopping')), 50);
      return new Promise(() => {});
    },
  });
  const { log } = captureLog();
  const started = Date.now();
  const report = await runBackup({ backupDir, steps, log, signal: stop.signal, trigger: 'manual' });
  assert.ok(Date.now() - started < 5_000, `ended ${Date.now() - started} ms after it started`);
  assert.equal(report.exitCode, 1);
  assert.equal(report.failedStep, 'library-check');
  assert.deepEqual(readdirSync(backupDir).filter((name) => name.startsWith('.immich-2') || name.startsWith('immich-')), [], 'nothing left that looks like a backup');
});
