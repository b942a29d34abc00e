import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient } from '../../src/kopia/client.ts';
import { runCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';
import { hashTree } from '../support/tree.ts';

/**
 * Immich names storage-label folders after the user (a label may hold spaces and any letter), and
 * photos keep their camera or upload names: restoring one such folder must find it and restore it
 * whole, names unchanged.
 */
let server: KopiaServer;
let client: KopiaClient;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-kopia-names-'));
const library = join(work, 'library');
const user = 'Jöhn Dœ 李 2024';

before(async () => {
  server = await startKopiaServer();
  client = new KopiaClient(server.connection(), { pollIntervalMs: 100 });
  const folder = join(library, 'library', user, 'Été à Paris');
  mkdirSync(folder, { recursive: true });
  for (const name of ['IMG 0001.HEIC', 'photo #2 (copy).jpg', 'ünïcødé €.png']) writeFileSync(join(folder, name), `photo ${name}\n`);
  mkdirSync(join(library, 'library', 'other-user'), { recursive: true });
  writeFileSync(join(library, 'library', 'other-user', 'IMG_1.jpg'), 'other\n');
  await client.ensureSource(library);
  await client.snapshot(library);
});
after(async () => {
  await client?.close();
  await server?.destroy();
});

test('restore-library --path of a user folder whose name has spaces and non-ASCII letters restores exactly that folder', async () => {
  const target = join(work, 'restored');
  const result = await runCli(['restore-library', '--target', target, '--path', `library/${user}`], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(hashTree(target), hashTree(join(library, 'library', user)));
  assert.equal(hashTree(target).size, 3);
});

test('a folder name that is not in the snapshot is refused naming it, nothing restored', async () => {
  const target = join(work, 'restored-missing');
  const result = await runCli(['restore-library', '--target', target, '--path', 'library/Jöhn Doe'], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /has no folder library\/Jöhn Doe; library has the folders: (Jöhn Dœ 李 2024, other-user|other-user, Jöhn Dœ 李 2024) \(Immich names a user's folder there by storage label when one is set, else by user id\)/);
});

test('a relative --target is refused before anything is restored: the Kopia server would resolve it in its own working folder, inside its container', async () => {
  const result = await runCli(['restore-library', '--target', 'restored-here', '--path', `library/${user}`], { ...server.env(), KOPIA_LIBRARY_PATH: library });
  assert.equal(result.code, 64, result.stderr);
  assert.match(result.stderr, /--target restored-here: give the full path as the Kopia server sees it \(e\.g\. \/library\): nothing was restored/);
});

test('restore-library --source backups logs its progress (a dump takes minutes to copy)', async () => {
  const target = join(work, 'restored-backups');
  const result = await runCli(['restore-library', '--source', 'backups', '--target', target], { ...server.env(), KOPIA_BACKUPS_PATH: library });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /"files":\d+,"bytes":\d+,"msg":"backups restore progress"/);
  assert.deepEqual(hashTree(target), hashTree(library));
});

test('restore-library of the latest library snapshot when a newer run\'s library snapshot is missing: a note says the newest database backup is newer', async () => {
  const backups = join(work, 'backups');
  mkdirSync(join(backups, 'immich-20261126_020000'), { recursive: true });
  writeFileSync(join(backups, 'immich-20261126_020000', 'dump.sql.gz'), 'dump');
  const env = { ...server.env(), KOPIA_LIBRARY_PATH: library, KOPIA_BACKUPS_PATH: backups };
  // A later run: its backups snapshot was made, its library snapshot failed.
  await client.ensureSource(backups);
  await client.snapshot(backups);
  const older = await runCli(['restore-library', '--target', join(work, 'restored-older'), '--path', `library/${user}`], env);
  assert.equal(older.code, 0, older.stderr);
  assert.match(older.stdout, /note: the newest snapshot of the backups \(.*\) is newer than this library snapshot \(.*\): a database restored from it may reference photos this library snapshot does not have/);

  // The usual order (the backups, then the library): nothing to say.
  await client.snapshot(library);
  const usual = await runCli(['restore-library', '--target', join(work, 'restored-usual'), '--path', `library/${user}`], env);
  assert.equal(usual.code, 0, usual.stderr);
  assert.doesNotMatch(usual.stdout, /is newer than this library snapshot/);
});
