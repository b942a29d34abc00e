import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient } from '../../src/kopia/client.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';

/**
 * The out-of-the-box default: a Kopia server started with no repository gets a filesystem
 * repository from the client (created in a folder that does not exist yet), and a second call
 * leaves it alone.
 */
let bare: KopiaServer;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-kopia-repository-'));

before(async () => {
  bare = await startKopiaServer({ withRepository: false });
});
after(async () => {
  await bare?.destroy();
  rmSync(work, { recursive: true, force: true });
});

test('a server without a repository gets a filesystem repository created, once', async () => {
  const client = new KopiaClient(bare.connection(), { pollIntervalMs: 200 });
  try {
    assert.equal((await client.status()).connected, false);
    const repository = join(work, 'not-yet', 'repo');
    assert.equal(await client.createFilesystemRepositoryIfMissing(repository, 'default-repository-password'), 'created');
    const status = await client.requireRepository();
    assert.equal(status.connected, true);
    assert.ok(existsSync(join(repository, 'kopia.repository.f')), 'the repository format blob is on disk');
    assert.equal(await client.createFilesystemRepositoryIfMissing(repository, 'default-repository-password'), 'already-connected');
    // and it is usable: a source snapshots into it
    const photos = join(work, 'photos');
    mkdirSync(photos);
    writeFileSync(join(photos, 'IMG_0001.jpg'), 'not really a photo');
    await client.ensureSource(photos);
    const snapshot = await client.snapshot(photos);
    assert.equal(snapshot.stats.files, 1);
    assert.equal(snapshot.stats.errors, 0);
    assert.deepEqual((await client.listSnapshots(photos)).map((s) => s.id), [snapshot.snapshotId]);
  } finally {
    await client.close();
  }
});
