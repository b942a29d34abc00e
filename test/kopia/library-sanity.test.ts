import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createKopiaBackupClient } from '../../src/backup/steps/kopia.ts';
import { runBackup } from '../../src/backup/run.ts';
import type { BackupSteps } from '../../src/backup/steps/index.ts';
import { createSteps } from '../../src/backup/steps/index.ts';
import { loadSidecarConfig } from '../../src/config.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';
import { captureLog } from '../support/log-capture.ts';

/**
 * Issue 13 item 5: a library snapshot of an empty folder (a mount that did not come up), or of far
 * fewer files than the previous snapshot, fails the Kopia step naming the path (exit 2), with a
 * real Kopia server; the dump is injected (the real one is exercised in test/sidecar/).
 */
let server: KopiaServer;
const work = mkdtempSync(join(tmpdir(), 'library-sanity-'));
const library = join(work, 'library');
const backupDir = join(work, 'backups');

before(async () => {
  server = await startKopiaServer();
});
after(async () => {
  await server?.destroy();
});

function writeFiles(count: number): void {
  rmSync(library, { recursive: true, force: true });
  mkdirSync(join(library, 'library', 'admin'), { recursive: true });
  for (let index = 0; index < count; index += 1) writeFileSync(join(library, 'library', 'admin', `IMG_${index}.jpg`), `photo ${index}`);
}

async function run(env: Record<string, string> = {}) {
  const { log } = captureLog();
  const config = loadSidecarConfig({
    ...server.env(),
    DB_PASSWORD: 'x',
    BACKUP_DIR: backupDir,
    KOPIA_BACKUPS_PATH: backupDir,
    KOPIA_LIBRARY_PATH: library,
    LIBRARY_PATH: library,
    ...env,
  });
  const steps: BackupSteps = {
    ...createSteps(config, log),
    async dump(file) {
      writeFileSync(file, 'dump');
      return { serverVersion: '16', database: 'immich', tables: [], size: 4, sha256: createHash('sha256').update('dump').digest('hex'), uncompressedBytes: 4 };
    },
    copyConfig: async () => ({ copied: [], missing: [] }),
  };
  const report = await runBackup({ backupDir, steps, log, signal: new AbortController().signal, trigger: 'manual' });
  const snapshots = await createKopiaBackupClient(config.kopia.connection, log).listSnapshots(library);
  return { report, snapshots: snapshots.length };
}

test('an empty library folder fails the Kopia step naming the path (exit 2), before a snapshot is made; far fewer files than last time too', async () => {
  writeFiles(10);
  const first = await run();
  assert.equal(first.report.exitCode, 0, first.report.error ?? '');
  assert.equal(first.report.snapshots.library?.fileCount, 10);
  assert.equal(first.snapshots, 1);

  writeFiles(0);
  const empty = await run();
  assert.equal(empty.report.exitCode, 2);
  assert.equal(empty.report.failedStep, 'kopia-library');
  assert.match(
    empty.report.error!,
    new RegExp(`^kopia-library: the library folder ${library} \\(KOPIA_LIBRARY_PATH, as the Kopia server sees it\\) holds no files: is the library mounted into the kopia service\\? Refusing to snapshot it$`),
  );
  assert.equal(empty.snapshots, 1, 'no snapshot of the empty folder was made');
  assert.equal(empty.report.snapshots.backups !== undefined, true, 'the backups snapshot is still made');

  writeFiles(3);
  const fewer = await run();
  assert.equal(fewer.report.exitCode, 2);
  assert.match(fewer.report.error!, /holds 3 files, fewer than 50 % of the previous snapshot's 10: .*KOPIA_LIBRARY_MIN_RATIO=0\.5; set 0 to allow a big deletion\)$/);
  assert.equal(fewer.snapshots, 1);

  const allowed = await run({ KOPIA_LIBRARY_MIN_RATIO: '0' });
  assert.equal(allowed.report.exitCode, 0, allowed.report.error ?? '');
  assert.equal(allowed.report.snapshots.library?.fileCount, 3);
});
