import assert from 'node:assert/strict';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient } from '../../src/kopia/client.ts';
import { runCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';

/**
 * restore-library --force over a folder that holds links where the snapshot has files: a file
 * hard-linked to another copy elsewhere (cp -al, rsnapshot), a symbolic link to a file outside the
 * folder. Written in place, the restore wrote through them: the other copy and the outside file
 * got the snapshot's content. Each restored file must replace the name, never what it points at.
 */
let server: KopiaServer;
let client: KopiaClient;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-restore-force-links-'));
const library = join(work, 'library');
const longName = `${'ü'.repeat(125)}.jpg`;

before(async () => {
  server = await startKopiaServer();
  client = new KopiaClient(server.connection(), { pollIntervalMs: 100 });
  mkdirSync(join(library, 'upload'), { recursive: true });
  writeFileSync(join(library, 'upload', 'hard.jpg'), 'snapshot\n');
  writeFileSync(join(library, 'upload', 'sym.jpg'), 'snapshot\n');
  await client.ensureSource(library);
  await client.snapshot(library);
  // A second library whose one file has a name near the 255-byte limit.
  mkdirSync(join(work, 'long', 'upload'), { recursive: true });
  writeFileSync(join(work, 'long', 'upload', longName), 'long\n');
  await client.ensureSource(join(work, 'long'));
  await client.snapshot(join(work, 'long'));
});
after(async () => {
  await client?.close();
  await server?.destroy();
});

test('--force replaces a hard-linked file and a symbolic link by the snapshot\'s file, leaving what they point at untouched', async () => {
  const target = join(work, 'target');
  mkdirSync(join(target, 'upload'), { recursive: true });
  const otherCopy = join(work, 'other-copy-of-the-photo.jpg');
  writeFileSync(otherCopy, 'another copy of the old photo\n');
  linkSync(otherCopy, join(target, 'upload', 'hard.jpg'));
  const outside = join(work, 'outside.conf');
  writeFileSync(outside, 'outside the target\n');
  symlinkSync(outside, join(target, 'upload', 'sym.jpg'));

  const result = await runCli(['restore-library', '--target', target, '--force'], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(readFileSync(otherCopy, 'utf8'), 'another copy of the old photo\n', 'the other hard link keeps its content');
  assert.equal(readFileSync(outside, 'utf8'), 'outside the target\n', 'the file outside the target is not written');
  for (const name of ['hard.jpg', 'sym.jpg']) {
    const path = join(target, 'upload', name);
    assert.equal(lstatSync(path).isFile(), true, name);
    assert.equal(lstatSync(path).nlink, 1, name);
    assert.equal(readFileSync(path, 'utf8'), 'snapshot\n', name);
  }
});

test('a name near the 255-byte limit: restored into an empty folder; over a folder with --force, the failure says to restore into an empty one', async () => {
  const env = { ...server.env(), KOPIA_LIBRARY_PATH: join(work, 'long') };
  const fresh = join(work, 'long-fresh');
  const restored = await runCli(['restore-library', '--target', fresh], env);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(readFileSync(join(fresh, 'upload', longName), 'utf8'), 'long\n');

  const over = join(work, 'long-over');
  mkdirSync(join(over, 'upload'), { recursive: true });
  writeFileSync(join(over, 'upload', 'other.jpg'), 'x');
  const forced = await runCli(['restore-library', '--target', over, '--force'], env);
  assert.notEqual(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /INCOMPLETE/);
  assert.match(forced.stderr, /a file name near the 255-byte limit cannot be restored with --force, .*: restore into an empty folder \(without --force\)/);
});
