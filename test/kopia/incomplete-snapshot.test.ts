import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient, type SnapshotResult } from '../../src/kopia/client.ts';
import type { Snapshot } from '../../src/kopia/schemas.ts';
import { runCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';
import { hashTree } from '../support/tree.ts';

/**
 * A snapshot stopped half-way (SIGTERM or KOPIA_SNAPSHOT_TIMEOUT during a run's Kopia step) is saved
 * by Kopia too, marked incomplete, without the files it had not reached. It is the newest snapshot
 * then, but no backup of the library: "latest" must be the newest complete one.
 */
let server: KopiaServer;
let client: KopiaClient;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-kopia-incomplete-'));
const library = join(work, 'library');
let complete: SnapshotResult;
let cancelled: Snapshot;

before(async () => {
  server = await startKopiaServer();
  client = new KopiaClient(server.connection(), { pollIntervalMs: 100 });
  mkdirSync(join(library, 'upload', 'admin'), { recursive: true });
  for (const name of ['IMG_1.jpg', 'IMG_2.jpg']) writeFileSync(join(library, 'upload', 'admin', name), `photo ${name}\n`);
  await client.ensureSource(library);
  complete = await client.snapshot(library);
  // Many new photos, and a snapshot stopped as soon as it uploads.
  const many = join(library, 'upload', 'admin', 'many');
  mkdirSync(many);
  for (let index = 0; index < 6000; index += 1) writeFileSync(join(many, `IMG_${index}.jpg`), randomBytes(16 * 1024));
  const stop = new AbortController();
  await assert.rejects(client.snapshot(library, { signal: stop.signal, onProgress: () => stop.abort(new Error('stopped')) }));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const newest = (await client.listSnapshots(library)).at(-1)!;
    if (newest.id !== complete.snapshotId) {
      cancelled = newest;
      break;
    }
    assert.ok(Date.now() < deadline, 'the cancelled snapshot was never saved');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(cancelled.incomplete, 'canceled');
});
after(async () => {
  await client?.close();
  await server?.destroy();
});

test('restore-library --snapshot latest restores the newest complete snapshot, not a newer one stopped half-way', async () => {
  const target = join(work, 'restored');
  const env = { ...server.env(), KOPIA_LIBRARY_PATH: library };
  const result = await runCli(['restore-library', '--snapshot', 'latest', '--target', target], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`from snapshot ${complete.snapshotId} `));
  assert.deepEqual([...hashTree(target).keys()].sort(), ['upload/admin/IMG_1.jpg', 'upload/admin/IMG_2.jpg']);
  assert.match(result.stdout, new RegExp(`note: the newer snapshot ${cancelled.id} \\(${cancelled.startTime}\\) is incomplete \\(canceled\\): skipped`));
});

test('the incomplete snapshot asked for by its id is restored, with a warning that it lacks files', async () => {
  const target = join(work, 'restored-incomplete');
  const env = { ...server.env(), KOPIA_LIBRARY_PATH: library };
  const result = await runCli(['restore-library', '--snapshot', cancelled.id, '--target', target], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /warning: snapshot \w+ is incomplete \(canceled\): files it had not reached are not in it/);
});

test('list marks the snapshot stopped half-way as incomplete', async () => {
  const env = { ...server.env(), KOPIA_LIBRARY_PATH: library, KOPIA_BACKUPS_PATH: join(work, 'no-backups'), BACKUP_DIR: join(work, 'backups'), DB_PASSWORD: 'x' };
  const result = await runCli(['list'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`${cancelled.id} .*INCOMPLETE \\(canceled\\): not a whole backup`));
  assert.doesNotMatch(result.stdout, new RegExp(`${complete.snapshotId} .*INCOMPLETE`));
});

