import assert from 'node:assert/strict';
import { chownSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient } from '../../src/kopia/client.ts';
import { runCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';

/**
 * A Kopia server that may not change owners (a kopia service run as a user, or without CAP_CHOWN)
 * restores every file as its own and says nothing (restore-library asks it to ignore permission
 * errors): the library Immich reads then belongs to someone else. restore-library, where it sees the
 * target, compares the restored files' owners with the snapshot's and says so, with the --chown fix.
 */
let server: KopiaServer;
let client: KopiaClient;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-restore-owners-'));
const library = join(work, 'library');

before(async () => {
  server = await startKopiaServer({ cannotChown: true });
  client = new KopiaClient(server.connection(), { pollIntervalMs: 100 });
  const folder = join(library, 'library', 'admin');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'IMG_0001.jpg'), 'photo\n');
  for (const path of ['library', 'library/admin', 'library/admin/IMG_0001.jpg']) chownSync(join(library, path), 1000, 1000);
  await client.ensureSource(library);
  await client.snapshot(library);
});
after(async () => {
  await client?.close();
  await server?.destroy();
});

test('restored files the Kopia server could not give their owners: a warning naming the owners and --chown', async () => {
  const target = join(work, 'restored');
  const result = await runCli(['restore-library', '--target', target], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(statSync(join(target, 'library')).uid, 0, 'the server could not chown (the premise of this test)');
  assert.match(
    result.stdout,
    /warning: the Kopia server could not give the restored files their owners \(1 of 1 checked differ, e\.g\. library: 0:0, in the snapshot 1000:1000\): .*--chown 1000:1000/,
  );
});

test('restored with --chown: no such warning', async () => {
  const target = join(work, 'restored-chown');
  const result = await runCli(['restore-library', '--target', target, '--chown', '1000:1000'], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(statSync(join(target, 'library', 'admin', 'IMG_0001.jpg')).uid, 1000);
  assert.doesNotMatch(result.stdout, /could not give the restored files their owners/);
});
