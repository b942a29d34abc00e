import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BackupService } from '../../src/service/backup-service.ts';
import type { BackupSteps } from '../../src/backup/steps/index.ts';
import { listRunFolders } from '../../src/backup/run-folders.ts';
import { loadSidecarConfig } from '../../src/config.ts';
import { captureLog } from '../support/log-capture.ts';

/**
 * Service mode with injected steps: the schedule fires, runs never overlap, SIGTERM (stop) aborts
 * a running dump and leaves nothing that looks like a backup. Real schedule, real HTTP.
 */
function service(dump: BackupSteps['dump'], schedule = '* * * * * *') {
  const backupDir = mkdtempSync(join(tmpdir(), 'service-'));
  const config = loadSidecarConfig({
    DB_PASSWORD: 'x',
    KOPIA_ENABLED: 'false',
    BACKUP_DIR: backupDir,
    BACKUP_SCHEDULE: schedule,
    HTTP_PORT: '1', // replaced below: port 0 is not a valid setting, but tests need a free port
    CONFIG_FILES_OPTIONAL: '/config/docker-compose.yml,/config/.env',
    LIBRARY_PATH: backupDir,
  });
  config.httpPort = 0;
  const capture = captureLog();
  const steps: BackupSteps = {
    dump,
    checkLibrary: async () => ({ ok: true, found: ['library'], warnings: [] }),
    copyConfig: async () => ({ copied: [], missing: [] }),
    retention: async () => ({ deleted: [], kept: [], errors: [] }),
  };
  const events: string[] = [];
  const instance = new BackupService({
    config,
    log: capture.log,
    steps,
    notify: async (event) => {
      events.push(event);
    },
  });
  return { instance, backupDir, events, capture };
}

async function goodDump(file: string) {
  writeFileSync(file, 'dump');
  return { serverVersion: '16', database: 'immich', tables: [], size: 4, sha256: createHash('sha256').update('dump').digest('hex'), uncompressedBytes: 4 };
}

test('the schedule runs a backup; /status shows it; a tick during a run is skipped, not overlapped', async () => {
  let concurrent = 0;
  let maxConcurrent = 0;
  const { instance, backupDir, events, capture } = service(async (file) => {
    concurrent += 1;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await new Promise((resolve) => setTimeout(resolve, 2200)); // longer than the 1 s schedule
    concurrent -= 1;
    return goodDump(file);
  });
  await instance.start();
  try {
    const base = `http://127.0.0.1:${instance.port}`;
    await waitUntil(async () => ((await (await fetch(`${base}/status`)).json()) as { running: unknown }).running !== null);
    const running = (await (await fetch(`${base}/status`)).json()) as { running: { status: string; progress?: unknown } };
    assert.equal(running.running.status, 'running');
    await waitUntil(async () => (await listRunFolders(backupDir)).some((folder) => folder.state === 'good'), 10_000);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.ok(events.includes('success'));
    assert.equal(maxConcurrent, 1);
    assert.match(capture.text(), /still in progress: this one is skipped/);
  } finally {
    await instance.stop();
  }
});

test('stop (SIGTERM) aborts the running dump; no folder looks good; the service ends', async () => {
  let started!: () => void;
  const dumpStarted = new Promise<void>((resolve) => (started = resolve));
  const { instance, backupDir, events } = service(async (file, context) => {
    writeFileSync(file, 'half');
    started();
    await new Promise((_resolve, reject) => {
      context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
    });
    throw new Error('unreachable');
  });
  await instance.start();
  await dumpStarted;
  const stopping = Date.now();
  await instance.stop();
  assert.ok(Date.now() - stopping < 5000);
  assert.deepEqual((await listRunFolders(backupDir)).filter((folder) => folder.state === 'good'), []);
  assert.deepEqual(readdirSync(backupDir).filter((name) => name.startsWith('.immich-2') || name.startsWith('immich-2')), []);
  assert.deepEqual(events, ['start', 'failure']);
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
