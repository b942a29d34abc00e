import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Server } from 'node:http';
import { checksumCacheFileName } from '../../src/backup/checksums.ts';
import { dumpFileName } from '../../src/backup/manifest.ts';
import { applyRetention } from '../../src/backup/steps/retention.ts';
import { runBackup } from '../../src/backup/run.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { collectStatus } from '../../src/http/status.ts';
import { runCli } from '../support/cli.ts';
import { captureLog } from '../support/log-capture.ts';
import { dayMs, makeRunFolder } from './helpers.ts';

/** Issue 13 item 4: "good" means every file matches its sha256, checked by list, /healthz and retention. */
const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

/** Flips one byte in place: same size, and the modification time set back to what it was. */
function flipByte(path: string, position: number): void {
  const before = statSync(path);
  const fd = openSync(path, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, position);
  byte[0] = byte[0]! ^ 0xff;
  writeSync(fd, byte, 0, 1, position);
  closeSync(fd);
  utimesSync(path, before.atime, before.mtime);
}

test('a flipped byte in the newest dump: list says corrupt, /healthz is 503 naming it, retention keeps the intact older backups', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'corrupt-'));
  const now = Date.now();
  const newest = makeRunFolder(backupDir, new Date(now - 2 * 3_600_000), 'good');
  const older = [10, 20, 30].map((days) => makeRunFolder(backupDir, new Date(now - days * dayMs), 'good'));
  const env = { BACKUP_DIR: backupDir, DB_PASSWORD: 'x', KOPIA_ENABLED: 'false' };

  // First listing: all good, and the checksums are remembered.
  const first = JSON.parse((await runCli(['list', '--local', '--json'], env)).stdout) as { local: { name: string; state: string }[] };
  assert.deepEqual(first.local.map((folder) => folder.state), ['good', 'good', 'good', 'good']);
  assert.ok(existsSync(join(backupDir, checksumCacheFileName)), 'checksum cache written');
  const dumpInfo = statSync(join(backupDir, newest, dumpFileName));
  const cache = JSON.parse(readFileSync(join(backupDir, checksumCacheFileName), 'utf8')) as Record<string, { size: number; sha256: string }>;
  const manifest = JSON.parse(readFileSync(join(backupDir, newest, 'manifest.json'), 'utf8')) as { files: { sha256: string }[] };
  assert.equal(cache[`${dumpInfo.dev}:${dumpInfo.ino}`]?.sha256, manifest.files[0]!.sha256, 'remembered by inode, size, mtime and ctime');
  assert.equal(Object.keys(cache).length, 4);

  // Damage the newest dump without changing its size or modification time.
  flipByte(join(backupDir, newest, dumpFileName), 5);

  const listed = await runCli(['list', '--local', '--json'], env);
  const local = (JSON.parse(listed.stdout) as { local: { name: string; state: string; reason?: string }[] }).local;
  assert.equal(local[0]!.name, newest);
  assert.equal(local[0]!.state, 'corrupt');
  assert.match(local[0]!.reason!, /dump\.sql\.gz does not match its sha256 in the manifest/);
  const text = await runCli(['list', '--local'], env);
  assert.match(text.stdout, new RegExp(`${newest}\\s+corrupt`));

  const server = createHttpServer(() => collectStatus({ backupDir, maxAgeMs: 26 * 3_600_000 }), captureLog().log);
  servers.push(server);
  const port = await listen(server, 0, '127.0.0.1');
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(health.status, 503);
  assert.match(await health.text(), new RegExp(`local backup\\(s\\) corrupt: ${newest} \\(dump\\.sql\\.gz does not match its sha256`));
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(metrics, /^immich_backup_local_backups\{state="corrupt"\} 1$/m);

  const { log } = captureLog();
  const result = await applyRetention(backupDir, { keepDays: 7, keepMin: 3 }, { log });
  assert.deepEqual(result.deleted, [], 'the three intact older backups are the ones kept, the corrupt one is not counted');
  for (const name of older) assert.ok(existsSync(join(backupDir, name)), `${name} kept`);
  assert.deepEqual(result.corrupt, [`${newest}: dump.sql.gz does not match its sha256 in the manifest (damaged on disk)`]);
  assert.equal(readFileSync(join(backupDir, older[0]!, dumpFileName)).length > 0, true);
});

test('a run reads its files back once after writing: a dump that does not match its sha256 is no backup (exit 1, no folder)', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'readback-'));
  const { log } = captureLog();
  const report = await runBackup({
    backupDir,
    log,
    signal: new AbortController().signal,
    trigger: 'manual',
    steps: {
      async dump(file) {
        writeFileSync(file, 'what is on disk');
        return { serverVersion: '16', database: 'immich', tables: [], size: 15, sha256: createHash('sha256').update('what was meant!').digest('hex'), uncompressedBytes: 15 };
      },
      checkLibrary: async () => ({ ok: true, found: [], warnings: [] }),
      copyConfig: async () => ({ copied: [], missing: [] }),
      retention: async () => ({ deleted: [], kept: [], errors: [] }),
    },
  });
  assert.equal(report.exitCode, 1);
  assert.equal(report.failedStep, 'manifest');
  assert.match(report.error!, /read back after writing, dump\.sql\.gz does not match its sha256/);
  assert.deepEqual(readdirSync(backupDir).filter((name) => name.includes('immich-2')), []);
});
