import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient, KopiaError } from '../../src/kopia/client.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';

/**
 * A library with a file the Kopia server cannot read (a photo at mode 000, as Immich's files can be
 * for a kopia service running as another user): a snapshot that lacks it is no complete backup of
 * the library, whether Kopia counts the error as failed (its default) or ignores it (a policy that
 * ignores file errors).
 */
let server: KopiaServer;
let client: KopiaClient;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-kopia-file-errors-'));

before(async () => {
  server = await startKopiaServer({ obeyFileModes: true });
  client = new KopiaClient(server.connection(), { pollIntervalMs: 200 });
});
after(async () => {
  await client?.close();
  await server?.destroy();
});

function libraryWithUnreadablePhoto(name: string): string {
  const library = join(work, name);
  mkdirSync(join(library, 'upload', 'admin'), { recursive: true });
  for (const photo of ['IMG_1.jpg', 'IMG_2.jpg', 'IMG_3.jpg']) writeFileSync(join(library, 'upload', 'admin', photo), `photo ${photo}\n`);
  chmodSync(join(library, 'upload', 'admin', 'IMG_2.jpg'), 0o000);
  return library;
}

test('an unreadable photo fails the snapshot, naming the file (Kopia counts it as failed by default)', async () => {
  const library = libraryWithUnreadablePhoto('default-policy');
  await client.ensureSource(library);
  await assert.rejects(client.snapshot(library), (error: unknown) => {
    assert.ok(error instanceof KopiaError, String(error));
    assert.match(error.message, /had 1 error\(s\), first: .*IMG_2\.jpg: .*permission denied/);
    return true;
  });
});

test('an unreadable photo fails the snapshot even when the policy tells Kopia to ignore file errors', async () => {
  const library = libraryWithUnreadablePhoto('ignoring-policy');
  await client.ensureSource(library);
  await client.replacePolicy(library, { ...(await client.definedPolicy(library)), errorHandling: { ignoreFileErrors: true, ignoreDirectoryErrors: true } });
  await assert.rejects(client.snapshot(library), (error: unknown) => {
    assert.ok(error instanceof KopiaError, String(error));
    assert.match(error.message, /had 1 error\(s\) its Kopia policy ignores \(those files are not in it\), first: .*IMG_2\.jpg: .*permission denied/);
    return true;
  });
});

test('a socket or pipe in the library (nothing to back up) is no error', async () => {
  const library = join(work, 'with-pipe');
  mkdirSync(library);
  writeFileSync(join(library, 'IMG_1.jpg'), 'photo\n');
  execFileSync('mkfifo', [join(library, 'pipe')]);
  await client.ensureSource(library);
  const result = await client.snapshot(library);
  assert.equal(result.stats.errors, 0);
});
