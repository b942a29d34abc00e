import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient } from '../../src/kopia/client.ts';
import { tasksResponseSchema, type Task } from '../../src/kopia/schemas.ts';
import { KopiaTransport } from '../../src/kopia/transport.ts';
import { runCli, startCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';

/**
 * restore-library on the days it is needed: a library holding symbolic links (a user's own link,
 * or one whose target is gone) restored with --chown; a restore stopped with Ctrl-C or docker stop.
 */
let server: KopiaServer;
let client: KopiaClient;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-restore-faults-'));
const library = join(work, 'library');
// A file outside the library that a link inside it points at: root's, and must stay root's.
const outside = join(work, 'outside-the-library.conf');
const oddNames = ['line\nbreak.jpg', ' leading and trailing spaces .jpg', `${'ü'.repeat(125)}.jpg`, 'tab\there;$(rm -rf ~).jpg'];
const photoTime = new Date('2019-07-14T10:00:00Z');
// A target on a small disk (mounted before the Kopia server starts, so that it sees it): it fills up mid-restore.
const smallDisk = join(work, 'small-disk');
// The upload location as the normal layout mounts it in the kopia service: read-only.
const readOnly = join(work, 'read-only');

before(async () => {
  mkdirSync(smallDisk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', smallDisk], { stdio: 'pipe' });
  mkdirSync(readOnly);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly], { stdio: 'pipe' });
  server = await startKopiaServer();
  client = new KopiaClient(server.connection(), { pollIntervalMs: 100 });
  const folder = join(library, 'library', 'admin');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'IMG_0001.jpg'), 'photo\n');
  // Odd names a library can hold (an upload's own name), and a mode and time to keep.
  for (const name of oddNames) writeFileSync(join(folder, name), `odd ${name.length}\n`);
  chmodSync(join(folder, 'IMG_0001.jpg'), 0o640);
  utimesSync(join(folder, 'IMG_0001.jpg'), photoTime, photoTime);
  // A user's folder without the odd names: restored over with --force, which writes each file under
  // a longer temporary name first (never through what holds its name), so no name near 255 bytes.
  mkdirSync(join(library, 'library', 'editor'), { recursive: true });
  writeFileSync(join(library, 'library', 'editor', 'IMG_0001.jpg'), 'photo\n');
  writeFileSync(outside, 'not the library\n');
  symlinkSync(outside, join(folder, 'link-out'));
  symlinkSync(join(work, 'gone'), join(folder, 'dangling'));
  // Enough data that a restore of it is still running when it is stopped.
  const big = join(library, 'upload', 'admin');
  mkdirSync(big, { recursive: true });
  for (let index = 0; index < 48; index += 1) writeFileSync(join(big, `VID_${index}.mp4`), randomBytes(8 * 1024 * 1024));
  await client.ensureSource(library);
  await client.snapshot(library);
});
after(async () => {
  await client?.close();
  await server?.destroy();
  execFileSync('umount', [smallDisk], { stdio: 'pipe' });
  execFileSync('umount', [readOnly], { stdio: 'pipe' });
});

test('restore-library --chown gives the links themselves to the owner (never what they point at; a dangling link is no failure); names up to 254 bytes, with newlines, tabs, spaces, restored; modes and times kept', async () => {
  const target = join(work, 'restored-chown');
  const result = await runCli(['restore-library', '--target', target, '--chown', '1234:2345'], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 0, result.stderr);
  const folder = join(target, 'library', 'admin');
  for (const path of [target, folder, join(folder, 'IMG_0001.jpg'), join(folder, 'link-out'), join(folder, 'dangling')]) {
    const info = lstatSync(path);
    assert.deepEqual([info.uid, info.gid], [1234, 2345], path);
  }
  assert.equal(readlinkSync(join(folder, 'link-out')), outside);
  for (const name of oddNames) assert.equal(readFileSync(join(folder, name), 'utf8'), `odd ${name.length}\n`, JSON.stringify(name));
  const photo = statSync(join(folder, 'IMG_0001.jpg'));
  assert.equal(photo.mode & 0o7777, 0o640, 'mode kept');
  assert.equal(photo.mtime.getTime(), photoTime.getTime(), 'modification time kept');
  const untouched = statSync(outside);
  assert.deepEqual([untouched.uid, untouched.gid], [0, 0], 'the file a restored link points at keeps its owner');
});

test('SIGTERM during restore-library: the Kopia server\'s restore is cancelled, and the message says the target is incomplete', { timeout: 120_000 }, async () => {
  const target = join(work, 'restored-stopped');
  const transport = new KopiaTransport(server.connection(), { pollIntervalMs: 50 });
  const restores = async (): Promise<Task[]> =>
    ((await transport.call('GET', '/api/v1/tasks', tasksResponseSchema)).tasks ?? []).filter((task) => task.kind === 'Restore' && task.description.includes(target));
  try {
    const running = startCli(['restore-library', '--target', target], { ...server.env(), KOPIA_LIBRARY_PATH: library });
    const deadline = Date.now() + 60_000;
    while (!(await restores()).some((task) => task.status === 'RUNNING')) {
      assert.ok(Date.now() < deadline, 'the restore never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    running.child.kill('SIGTERM');
    const result = await running.exited;
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`interrupted by SIGTERM: the restore into ${target} was cancelled; what it had written so far is there, INCOMPLETE`));
    let task = (await restores())[0]!;
    while (task.status === 'RUNNING' || task.status === 'CANCELING') {
      assert.ok(Date.now() < deadline, 'the restore task never ended');
      await new Promise((resolve) => setTimeout(resolve, 100));
      task = (await restores())[0]!;
    }
    assert.equal(task.status, 'CANCELED', 'the server must not go on restoring after the command was stopped');
  } finally {
    await transport.close();
  }
});

test('restore-library --force over a folder with files: the snapshot\'s replace them, the others stay, and the output says both', async () => {
  const target = join(work, 'restored-over', 'library', 'editor');
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, 'IMG_0001.jpg'), 'edited after the snapshot\n');
  writeFileSync(join(target, 'IMG_0002.jpg'), 'uploaded after the snapshot\n');
  const result = await runCli(['restore-library', '--path', 'library/editor', '--target', target, '--force'], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(join(target, 'IMG_0001.jpg'), 'utf8'), 'photo\n');
  assert.equal(readFileSync(join(target, 'IMG_0002.jpg'), 'utf8'), 'uploaded after the snapshot\n');
  assert.match(result.stdout, /note: --force: files of the snapshot replaced those of the same name in .*; files it does not have \(added after it\) were left there, unknown to a database restored from the same night/);
});

test('a disk that fills up during restore-library: failed, never reported restored, the target named INCOMPLETE', async () => {
  const target = join(smallDisk, 'library');
  const result = await runCli(['restore-library', '--target', target], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.notEqual(result.code, 0, result.stdout);
  assert.doesNotMatch(result.stdout, /restored \d+ files/);
  assert.match(result.stderr, /the restore into .*small-disk\/library failed: .*no space left on device; .*small-disk\/library may hold part of the snapshot: it is INCOMPLETE/);
});

test('a target the Kopia server sees read-only (the normal layout): the failure says to restore with compose.restore.yml, and that nothing was written', async () => {
  const result = await runCli(['restore-library', '--target', join(readOnly, 'library'), '--path', 'library/admin'], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, /read-only file system.*: the Kopia server sees .*read-only\/library read-only: nothing could be written there\. Restore with compose\.restore\.yml/);
  assert.doesNotMatch(result.stderr, /INCOMPLETE/);
});

test('the Kopia server killed and restarted mid-restore: failed, never reported restored, the target named INCOMPLETE', { timeout: 180_000 }, async () => {
  const target = join(work, 'restored-server-killed');
  const transport = new KopiaTransport(server.connection(), { pollIntervalMs: 50 });
  try {
    const running = startCli(['restore-library', '--target', target], { ...server.env(), KOPIA_LIBRARY_PATH: library });
    const deadline = Date.now() + 60_000;
    const restoring = async () =>
      ((await transport.call('GET', '/api/v1/tasks', tasksResponseSchema)).tasks ?? []).some((task) => task.kind === 'Restore' && task.description.includes(target) && task.status === 'RUNNING');
    while (!(await restoring())) {
      assert.ok(Date.now() < deadline, 'the restore never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await server.stop({ kill: true });
    await server.restart();
    const result = await running.exited;
    assert.notEqual(result.code, 0, result.stdout);
    assert.doesNotMatch(result.stdout, /restored \d+ files/);
    assert.match(result.stderr, /restarted or lost the task during the restore into .*: it did not finish; .* may hold part of the snapshot: it is INCOMPLETE/);
  } finally {
    await transport.close();
  }
});
