import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Env } from '../../src/config.ts';
import { KopiaClient } from '../../src/kopia/client.ts';
import { runCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';
import { immichBookkeepingSql, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Issue 14, acceptance 4: verify on an Immich database whose assets include external libraries
 * (rows with a libraryId, paths outside the upload location). Those are never in the upload
 * location's snapshot: counted apart, looked up in their folder when it is mounted, never missing
 * from the snapshot. A file removed from the upload location still is. Real Postgres, real Kopia.
 */
let postgres: PostgresServer;
let kopia: KopiaServer;
let receiver: WebhookReceiver;
let env: Env;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-verify-external-'));
const library = join(work, 'upload-location');
const externalFolder = join(work, 'nas-photos');
const uploadFiles = ['library/admin/2024/IMG_0001.jpg', 'library/admin/2024/Émile.mov', 'upload/bob/x.heic', 'upload/bob/legacy.jpg'];

before(async () => {
  for (const folder of ['library', 'upload', 'profile', 'thumbs', 'encoded-video', 'backups']) {
    mkdirSync(join(library, folder), { recursive: true });
    writeFileSync(join(library, folder, '.immich'), '1732420800000');
  }
  for (const file of uploadFiles) {
    mkdirSync(join(library, file, '..'), { recursive: true });
    writeFileSync(join(library, file), `photo ${file}`);
  }
  mkdirSync(join(externalFolder, '2019'), { recursive: true });
  writeFileSync(join(externalFolder, '2019', 'beach.jpg'), 'external photo');
  writeFileSync(join(externalFolder, '2019', 'dunes.jpg'), 'external photo 2');
  writeFileSync(join(work, 'docker-compose.yml'), 'services: {}\n');
  writeFileSync(join(work, '.env'), 'DB_PASSWORD=secret\n');
  [postgres, kopia, receiver] = await Promise.all([startPostgres(), startKopiaServer(), startWebhookReceiver()]);
  await postgres.createDatabase('immich');
  const externalLibraries = `
CREATE TABLE library (id uuid PRIMARY KEY, name varchar NOT NULL, "importPaths" text[] NOT NULL DEFAULT '{}');
INSERT INTO library VALUES
  ('60000000-0000-4000-8000-000000000001', 'NAS', ARRAY['${externalFolder}']),
  ('60000000-0000-4000-8000-000000000002', 'Old disk, not mounted in the sidecar', ARRAY['/mnt/old-disk/photos']);
INSERT INTO asset (id, "ownerId", "originalPath", "originalFileName", checksum, "localDateTime", "libraryId") VALUES
  ('10000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000001', '${externalFolder}/2019/beach.jpg', 'beach.jpg', '\\x11', '2019-07-01 10:00+00', '60000000-0000-4000-8000-000000000001'),
  ('10000000-0000-4000-8000-000000000012', '00000000-0000-4000-8000-000000000001', '${externalFolder}/2019/dunes.jpg', 'dunes.jpg', '\\x12', '2019-07-01 10:00+00', '60000000-0000-4000-8000-000000000001'),
  ('10000000-0000-4000-8000-000000000013', '00000000-0000-4000-8000-000000000002', '/mnt/old-disk/photos/1999/scan.tif', 'scan.tif', '\\x13', '1999-01-01 10:00+00', '60000000-0000-4000-8000-000000000002'),
  -- A path as Immich stored it before ConvertToAbsolutePaths: relative to /usr/src/app, inside the upload location.
  ('10000000-0000-4000-8000-000000000014', '00000000-0000-4000-8000-000000000002', 'upload/upload/bob/legacy.jpg', 'legacy.jpg', '\\x14', '2020-01-01 10:00+00', NULL);
`;
  await postgres.psql('immich', Buffer.concat([readFileSync(new URL('../fixtures/immich-like.sql', import.meta.url)), Buffer.from(externalLibraries), Buffer.from(immichBookkeepingSql)]));
  env = {
    ...postgres.env('immich'),
    ...kopia.env(),
    BACKUP_DIR: join(work, 'backups'),
    LIBRARY_PATH: library,
    KOPIA_LIBRARY_PATH: library,
    KOPIA_BACKUPS_PATH: join(work, 'backups'),
    CONFIG_FILES: `${join(work, 'docker-compose.yml')},${join(work, '.env')}`,
    IMMICH_URL: 'off',
    WEBHOOK_URL: `${receiver.url}/hook`,
    HEALTHCHECKS_URL: `${receiver.url}/backup-ping`,
    VERIFY_HEALTHCHECKS_URL: `${receiver.url}/verify-ping`,
    NOTIFY_RETRIES: '0',
    TZ: 'UTC',
  };
  const backup = await runCli(['backup'], env);
  assert.equal(backup.code, 0, `${backup.stdout}\n${backup.stderr}`);
});
after(async () => {
  await Promise.all([postgres?.stop(), kopia?.destroy(), receiver?.close()]);
});

test('external-library assets are counted apart, checked in their mounted folder, and never missing from the snapshot; the restore test notifies as such', async () => {
  receiver.requests.length = 0;
  const result = await runCli(['verify'], env);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /files: 4 referenced, 0 missing/);
  assert.match(result.stdout, /external libraries: 3 files \(not in the upload location's snapshot\), 2 checked in their mounted folders, 0 missing/);

  const hook = await receiver.waitFor((request) => request.path === '/hook');
  const payload = JSON.parse(hook.body) as { title: string; subject: string; event: string };
  assert.match(payload.title, /^Immich restore test passed on /);
  assert.equal(payload.subject, 'restore-test');
  await receiver.waitFor((request) => request.path === '/verify-ping');
  assert.ok(!receiver.requests.some((request) => request.path.startsWith('/backup-ping')), "verify never pings the backup's HEALTHCHECKS_URL");
  assert.ok(!receiver.requests.some((request) => /backup (succeeded|FAILED)/.test(request.body)));
});

test('a removed upload file is missing; a removed external file is named apart; the notification says the restore test failed', async () => {
  rmSync(join(library, 'upload/bob/x.heic'));
  rmSync(join(externalFolder, '2019', 'dunes.jpg'));
  const client = new KopiaClient(kopia.connection());
  try {
    await client.snapshot(library);
  } finally {
    await client.close();
  }
  receiver.requests.length = 0;
  const result = await runCli(['verify'], env);
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /files: 4 referenced, 1 missing/);
  assert.match(result.stdout, /1 of 4 files the database references are not in library snapshot \w+, e.g. \/data\/upload\/bob\/x\.heic/);
  assert.match(result.stdout, /1 of 2 external-library files the database references are missing from their mounted folder, e\.g\. .*dunes\.jpg/);
  assert.doesNotMatch(result.stdout, /scan\.tif|beach\.jpg/, 'an unmounted library and present files are not reported');

  const hook = await receiver.waitFor((request) => request.path === '/hook');
  assert.match((JSON.parse(hook.body) as { title: string }).title, /^Immich restore test failed on /);
  const ping = await receiver.waitFor((request) => request.path.startsWith('/verify-ping'));
  assert.equal(ping.path, '/verify-ping/fail');
  assert.ok(!receiver.requests.some((request) => request.path.startsWith('/backup-ping')));
});

test("a whole library restore names each of Immich's six folders or markers the snapshot lacks", async () => {
  rmSync(join(library, 'thumbs'), { recursive: true });
  rmSync(join(library, 'encoded-video', '.immich'));
  const client = new KopiaClient(kopia.connection());
  try {
    await client.snapshot(library);
  } finally {
    await client.close();
  }
  const target = join(work, 'restored-library');
  const result = await runCli(['restore-library', '--snapshot', 'latest', '--target', target], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /warning: the snapshot has no folder thumbs\/: Immich checks thumbs\/\.immich at start/);
  assert.match(result.stdout, /warning: the snapshot has no encoded-video\/\.immich: Immich refuses to start without it/);
  assert.doesNotMatch(result.stdout, /no (folder )?(library|upload|profile|backups)\//);
});
