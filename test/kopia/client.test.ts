import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient, type SnapshotResult } from '../../src/kopia/client.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';
import { hashTree, writeLibrary } from '../support/tree.ts';

let server: KopiaServer;
let client: KopiaClient;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-kopia-test-'));
const library = join(work, 'immich');
let first: SnapshotResult;

before(async () => {
  writeLibrary(library);
  server = await startKopiaServer();
  client = new KopiaClient(server.connection(), { pollIntervalMs: 200 });
});
after(async () => {
  await client?.close();
  await server?.destroy();
});

test('the client pins the server certificate and sees a connected repository', async () => {
  const status = await client.requireRepository();
  assert.equal(status.connected, true);
  assert.deepEqual(await client.identity(), { userName: 'tester', host: 'testhost' });
});

test('retention and compression set through the client read back exactly, without clobbering other settings', async () => {
  await client.ensureSource(library, { retention: { keepDaily: 30, keepWeekly: 12, keepMonthly: 12 } });
  // A setting the user made themselves (in the Kopia UI: the same REST call, another session) must survive.
  const userSession = new KopiaClient(server.connection());
  try {
    await userSession.replacePolicy(library, { ...(await userSession.definedPolicy(library)), files: { ignore: ['*.tmp'] } });
  } finally {
    await userSession.close();
  }
  await client.ensureSource(library, {
    retention: { keepLatest: 5, keepDaily: 30, keepWeekly: 12, keepMonthly: 12, keepAnnual: 3 },
    compressorName: 'zstd',
  });
  const policy = await client.definedPolicy(library);
  assert.deepEqual(policy?.retention, { keepLatest: 5, keepDaily: 30, keepWeekly: 12, keepMonthly: 12, keepAnnual: 3 });
  assert.equal(policy?.compression?.compressorName, 'zstd');
  assert.deepEqual((policy as { files?: { ignore?: string[] } }).files?.ignore, ['*.tmp']);
});

test('a generated library is snapshotted, and a second snapshot uploads only the new bytes', async () => {
  await client.ensureSource(library, { retention: { keepDaily: 30, keepWeekly: 12, keepMonthly: 12 } });
  const progress: number[] = [];
  first = await client.snapshot(library, { onProgress: (p) => progress.push(p.bytes) });
  assert.match(first.snapshotId, /^[0-9a-f]+$/);
  assert.ok(first.stats.files >= 2100, `files: ${first.stats.files}`);
  assert.ok(first.stats.bytes > 9 * 1024 * 1024, `bytes: ${first.stats.bytes}`);
  assert.equal(first.stats.errors, 0);

  const added = randomBytes(2 * 1024 * 1024);
  mkdirSync(join(library, 'library', 'bob', 'new'), { recursive: true });
  writeFileSync(join(library, 'library', 'bob', 'new', 'IMG_new.jpg'), added);
  writeFileSync(join(library, 'library', 'bob', 'new', 'small.txt'), 'just added');
  const repositoryBefore = directorySize(join(server.directory, 'repo'));
  const second = await client.snapshot(library);
  assert.notEqual(second.snapshotId, first.snapshotId);
  assert.equal(second.stats.files, first.stats.files + 2);
  // Only the new files were read as new content; everything else was recognised as unchanged.
  assert.equal(second.stats.hashedBytes, added.length + 'just added'.length);
  assert.equal(second.stats.cachedBytes, first.stats.bytes);
  // And the repository grew by about the new bytes, not by another copy of the library.
  const growth = directorySize(join(server.directory, 'repo')) - repositoryBefore;
  assert.ok(growth >= added.length && growth < added.length + 256 * 1024, `repository grew by ${growth} bytes for ${added.length} new bytes`);

  const listed = await client.listSnapshots(library);
  assert.deepEqual(listed.map((s) => s.id).slice(-2), [first.snapshotId, second.snapshotId]);
});

test('a description set through the client reads back (under the new manifest id)', async () => {
  const newId = await client.setDescription(first.snapshotId, 'immich-backup run immich-20261124_020000');
  const listed = await client.listSnapshots(library);
  const described = listed.find((snapshot) => snapshot.id === newId);
  assert.equal(described?.description, 'immich-backup run immich-20261124_020000');
  first = { ...first, snapshotId: newId };
});

test('restoring the whole snapshot reproduces every file byte for byte, one user folder restores only that folder', async () => {
  const latest = (await client.listSnapshots(library)).at(-1)!;
  const whole = join(work, 'restore-whole');
  const restored = await client.restore({ snapshotId: latest.id, targetPath: whole });
  assert.deepEqual(hashTree(whole), hashTree(library));
  assert.ok(restored.files >= 2100);

  const bobOnly = join(work, 'restore-bob');
  await client.restore({ snapshotId: latest.id, subPath: 'library/bob', targetPath: bobOnly });
  const expected = new Map([...hashTree(join(library, 'library', 'bob'))]);
  assert.deepEqual(hashTree(bobOnly), expected);

  const root = await client.listDirectory(latest.rootID);
  assert.ok(root?.some((entry) => entry.name === 'library' && entry.type === 'd'));
  const bobNew = await client.listDirectory(latest.rootID, 'library/bob/new');
  assert.deepEqual(bobNew?.map((entry) => entry.name).sort(), ['IMG_new.jpg', 'small.txt']);
  assert.equal(await client.listDirectory(latest.rootID, 'library/nobody'), undefined);
});

test('after a server restart the client renews its CSRF session by itself', async () => {
  await server.restart();
  const status = await client.status();
  assert.equal(status.connected, true);
});

test('deleting a snapshot removes it from the list', async () => {
  const before = await client.listSnapshots(library);
  await client.deleteSnapshots(library, [before[0]!.id]);
  const after = await client.listSnapshots(library);
  assert.equal(after.length, before.length - 1);
  assert.ok(!after.some((snapshot) => snapshot.id === before[0]!.id));
});


function directorySize(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) {
    const child = join(path, name);
    const stats = statSync(child);
    total += stats.isDirectory() ? directorySize(child) : stats.size;
  }
  return total;
}

test('a snapshot stopped by its signal (SIGTERM, the snapshot timeout) is cancelled on the server, not left uploading', async () => {
  const many = join(work, 'many-files');
  mkdirSync(many);
  for (let index = 0; index < 6000; index += 1) writeFileSync(join(many, `file-${index}`), randomBytes(16 * 1024));
  await client.ensureSource(many);
  const stop = new AbortController();
  // Stopped as soon as the server reports the upload running.
  await assert.rejects(client.snapshot(many, { signal: stop.signal, onProgress: () => stop.abort(new Error('stopped')) }));
  // A cancelled upload is saved as a partial snapshot marked so; left running, it would end as a complete one.
  const deadline = Date.now() + 30_000;
  let snapshots = await client.listSnapshots(many);
  while (snapshots.length === 0) {
    assert.ok(Date.now() < deadline, 'no snapshot was saved');
    await new Promise((resolve) => setTimeout(resolve, 200));
    snapshots = await client.listSnapshots(many);
  }
  assert.equal(snapshots.length, 1);
  assert.equal(snapshots[0]!.incomplete, 'canceled');
});

/** A folder whose first snapshot takes a few seconds (320 MiB of new content). */
function busyFolder(name: string): string {
  const folder = join(work, name);
  mkdirSync(folder);
  for (let index = 0; index < 40; index += 1) writeFileSync(join(folder, `VID_${index}.mp4`), randomBytes(8 * 1024 * 1024));
  return folder;
}

test('a snapshot queued behind another of the same source (a killed run left it uploading) reports the snapshot its own task saved', async () => {
  const busy = busyFolder('busy');
  await client.ensureSource(busy);
  const earlierRun = new KopiaClient(server.connection(), { pollIntervalMs: 100 });
  try {
    let uploading!: () => void;
    const started = new Promise<void>((resolve) => (uploading = resolve));
    const earlier = earlierRun.snapshot(busy, { onProgress: () => uploading() });
    await started;
    // Triggered while the earlier one uploads: the server runs ours once that one is done.
    const ours = await client.snapshot(busy);
    const theirs = await earlier;
    assert.notEqual(ours.snapshotId, theirs.snapshotId, 'each reports its own snapshot');
    assert.ok(Date.parse(ours.startTime) >= Date.parse(theirs.endTime!), `ours (${ours.startTime}) started after the earlier one ended (${theirs.endTime})`);
    const listed = (await client.listSnapshots(busy)).map((snapshot) => snapshot.id).sort();
    assert.deepEqual(listed, [ours.snapshotId, theirs.snapshotId].sort());
  } finally {
    await earlierRun.close();
  }
});

test('a snapshot queued behind a longer one of the same source waits for it to end, rather than "did not start"', async () => {
  const busy = busyFolder('busy-long');
  await client.ensureSource(busy);
  const earlierRun = new KopiaClient(server.connection(), { pollIntervalMs: 100 });
  // The earlier snapshot outlasts this client's wait for its own to start (1 s here, 60 s by default).
  const queued = new KopiaClient(server.connection(), { pollIntervalMs: 100, unreachableTimeoutMs: 1000 });
  let earlier: Promise<SnapshotResult> | undefined;
  try {
    let uploading!: () => void;
    const started = new Promise<void>((resolve) => (uploading = resolve));
    earlier = earlierRun.snapshot(busy, { onProgress: () => uploading() });
    await started;
    const ours = await queued.snapshot(busy);
    const theirs = await earlier;
    assert.notEqual(ours.snapshotId, theirs.snapshotId);
    assert.ok(Date.parse(ours.startTime) >= Date.parse(theirs.endTime!), `ours (${ours.startTime}) started after the earlier one ended (${theirs.endTime})`);
  } finally {
    await earlier?.catch(() => undefined);
    await Promise.all([earlierRun.close(), queued.close()]);
  }
});

