import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient } from '../../src/kopia/client.ts';
import { runCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';

/**
 * restore-library on the days it is needed: a library holding symbolic links (a user's own link,
 * or one whose target is gone) restored with --chown.
 */
let server: KopiaServer;
let client: KopiaClient;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-restore-faults-'));
const library = join(work, 'library');
// A file outside the library that a link inside it points at: root's, and must stay root's.
const outside = join(work, 'outside-the-library.conf');

before(async () => {
  server = await startKopiaServer();
  client = new KopiaClient(server.connection(), { pollIntervalMs: 100 });
  const folder = join(library, 'library', 'admin');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'IMG_0001.jpg'), 'photo\n');
  writeFileSync(outside, 'not the library\n');
  symlinkSync(outside, join(folder, 'link-out'));
  symlinkSync(join(work, 'gone'), join(folder, 'dangling'));
  await client.ensureSource(library);
  await client.snapshot(library);
});
after(async () => {
  await client?.close();
  await server?.destroy();
});

test('restore-library --chown gives the links themselves to the owner: never what they point at, and a dangling link is no failure', async () => {
  const target = join(work, 'restored-chown');
  const result = await runCli(['restore-library', '--target', target, '--chown', '1234:2345'], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 0, result.stderr);
  const folder = join(target, 'library', 'admin');
  for (const path of [target, folder, join(folder, 'IMG_0001.jpg'), join(folder, 'link-out'), join(folder, 'dangling')]) {
    const info = lstatSync(path);
    assert.deepEqual([info.uid, info.gid], [1234, 2345], path);
  }
  assert.equal(readlinkSync(join(folder, 'link-out')), outside);
  const untouched = statSync(outside);
  assert.deepEqual([untouched.uid, untouched.gid], [0, 0], 'the file a restored link points at keeps its owner');
});
