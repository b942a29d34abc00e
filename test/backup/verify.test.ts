import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { KopiaClient } from '../../src/kopia/client.ts';
import type { Env } from '../../src/config.ts';
import { runCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';
import { immichBookkeepingSql, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { hashTree } from '../support/tree.ts';

/**
 * Issue 5, acceptance 5 and 6: `verify` on a real backup made by `immich-backup backup` (real
 * Postgres, real Kopia server), and `restore-library` of the whole library and of one user folder.
 */
let postgres: PostgresServer;
let kopia: KopiaServer;
let env: Env;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-verify-'));
const backupDir = join(work, 'backups');
const library = join(work, 'upload-location');
// The files the fixture's asset table points at (Immich's in-container paths under /data).
const libraryFiles = ['library/admin/2024/IMG_0001.jpg', 'library/admin/2024/Émile.mov', 'upload/bob/x.heic'];

before(async () => {
  for (const folder of ['library', 'upload', 'profile', 'thumbs', 'encoded-video', 'backups']) {
    mkdirSync(join(library, folder), { recursive: true });
    writeFileSync(join(library, folder, '.immich'), '1732420800000');
  }
  for (const [index, file] of libraryFiles.entries()) {
    mkdirSync(join(library, file, '..'), { recursive: true });
    writeFileSync(join(library, file), `photo ${index} `.repeat(1000 * (index + 1)));
  }
  mkdirSync(backupDir);
  writeFileSync(join(work, 'docker-compose.yml'), 'services: {}\n');
  writeFileSync(join(work, '.env'), 'DB_PASSWORD=secret\n');
  [postgres, kopia] = await Promise.all([startPostgres('14'), startKopiaServer()]);
  await postgres.createDatabase('immich');
  await postgres.psql('immich', Buffer.concat([readFileSync(new URL('../fixtures/immich-like.sql', import.meta.url)), Buffer.from(immichBookkeepingSql)]));
  env = {
    ...postgres.env('immich'),
    ...kopia.env(),
    BACKUP_DIR: backupDir,
    LIBRARY_PATH: library,
    KOPIA_LIBRARY_PATH: library,
    KOPIA_BACKUPS_PATH: backupDir,
    CONFIG_FILES: `${join(work, 'docker-compose.yml')},${join(work, '.env')}`,
    TZ: 'UTC',
  };
  const backup = await runCli(['backup'], env);
  assert.equal(backup.code, 0, `${backup.stdout}\n${backup.stderr}`);
});
after(async () => {
  await Promise.all([postgres?.stop(), kopia?.destroy()]);
});

function runFolder(): string {
  const name = readdirSync(backupDir).find((entry) => /^immich-\d{8}_\d{6}$/.test(entry));
  assert.ok(name, 'a run folder');
  return join(backupDir, name);
}

test('verify passes on a good backup, drops its scratch database, and records the result for /status', async () => {
  const result = await runCli(['verify'], env);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /^OK: restore test of immich-\d{8}_\d{6}: \d+ tables, \d+ rows checked/);
  assert.match(result.stdout, /files: 3 referenced, 0 missing/);
  const scratch = await postgres.query('postgres', `SELECT datname FROM pg_database WHERE datname LIKE 'immich_backup_verify_%'`);
  assert.deepEqual(scratch, []);
  const status = await runCli(['status', '--json'], env);
  const parsed = JSON.parse(status.stdout) as { lastVerify?: { ok: boolean; tablesChecked: number } };
  assert.equal(parsed.lastVerify?.ok, true);
  assert.ok((parsed.lastVerify?.tablesChecked ?? 0) > 10);
});

test('a scratch database left by a restore test that was killed (OOM, SIGKILL) is dropped by the next one; a recent one is left alone', async () => {
  const leftover = `immich_backup_verify_${Date.now() - 2 * 3_600_000}`;
  const recent = `immich_backup_verify_${Date.now() - 60_000}`;
  await postgres.createDatabase(leftover);
  await postgres.createDatabase(recent);
  try {
    const result = await runCli(['verify'], env);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`dropped the scratch database ${leftover} of an earlier restore test that did not finish`));
    const scratch = await postgres.query<{ datname: string }>('postgres', `SELECT datname FROM pg_database WHERE datname LIKE 'immich_backup_verify_%'`);
    assert.deepEqual(scratch.map((row) => row.datname), [recent], 'the leftover is gone; one that may belong to a restore test starting elsewhere stays');
  } finally {
    await postgres.dropDatabase(leftover);
    await postgres.dropDatabase(recent);
  }
});

test('verify fails, naming the table, when the manifest and the dump disagree', async () => {
  const manifestPath = join(runFolder(), 'manifest.json');
  const original = readFileSync(manifestPath, 'utf8');
  try {
    const manifest = JSON.parse(original) as { database: { tables: Array<{ schema: string; name: string; rows: number }> } };
    const asset = manifest.database.tables.find((table) => table.name === 'asset')!;
    asset.rows += 1;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const result = await runCli(['verify'], env);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /FAILED/);
    assert.match(result.stdout, /problem: table public\.asset: the restored copy has 3 rows \(manifest: 4\)/);
    const scratch = await postgres.query('postgres', `SELECT datname FROM pg_database WHERE datname LIKE 'immich_backup_verify_%'`);
    assert.deepEqual(scratch, [], 'the scratch database is dropped after a failed verify too');
    const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { lastVerify?: { ok: boolean; problems: string[] } };
    assert.equal(status.lastVerify?.ok, false);
    assert.match(status.lastVerify?.problems.join('\n') ?? '', /public\.asset/);
  } finally {
    writeFileSync(manifestPath, original);
  }
});

test('verify fails naming the object and property when the restore loses one (a comment, a trigger state, a column default)', async () => {
  const folder = runFolder();
  const manifestPath = join(folder, 'manifest.json');
  const dumpPath = join(folder, 'dump.sql.gz');
  const originalManifest = readFileSync(manifestPath, 'utf8');
  const originalDump = readFileSync(dumpPath);
  try {
    const manifest = JSON.parse(originalManifest) as { database: { fingerprint?: { objects: Record<string, string> } }; files: Array<{ path: string; size: number; sha256: string }> };
    assert.ok(manifest.database.fingerprint?.objects['table column public.asset."originalPath"'], 'the manifest carries the catalog fingerprint');
    // What a dump that forgot these properties would restore: the same script, losing them at its end.
    const script = gunzipSync(originalDump).toString('utf8');
    const trailer = '--\n-- PostgreSQL database dump complete\n--\n';
    assert.ok(script.includes(trailer));
    const lossy = gzipSync(
      script.replace(
        trailer,
        `COMMENT ON COLUMN public.asset."originalPath" IS NULL;\nALTER TABLE public.asset DISABLE TRIGGER "asset_updatedAt";\nALTER TABLE public.asset ALTER COLUMN "updatedAt" DROP DEFAULT;\n\n${trailer}`,
      ),
    );
    writeFileSync(dumpPath, lossy);
    const entry = manifest.files.find((file) => file.path === 'dump.sql.gz')!;
    entry.size = lossy.length;
    entry.sha256 = createHash('sha256').update(lossy).digest('hex');
    writeFileSync(manifestPath, JSON.stringify(manifest));

    const result = await runCli(['verify'], env);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /problem: catalog: table column public\.asset\."originalPath": comment \(dump: "absolute path inside the immich container", restored: none\)/);
    assert.match(result.stdout, /problem: catalog: trigger "asset_updatedAt" on public\.asset: tgenabled \(dump: "O", restored: "D"\)/);
    assert.match(result.stdout, /problem: catalog: table column public\.asset\."updatedAt": atthasdef \(dump: true, restored: false\); default \(dump: "now\(\)", restored: none\)/);
    assert.equal(result.stdout.match(/problem: catalog:/g)?.length, 3, result.stdout);
  } finally {
    writeFileSync(dumpPath, originalDump);
    writeFileSync(manifestPath, originalManifest);
  }
});

test('verify refuses a manifest whose catalog fingerprint was edited', async () => {
  const manifestPath = join(runFolder(), 'manifest.json');
  const original = readFileSync(manifestPath, 'utf8');
  try {
    const manifest = JSON.parse(original) as { database: { fingerprint: { objects: Record<string, string> } } };
    manifest.database.fingerprint.objects['table public.asset'] = '0'.repeat(64);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const result = await runCli(['verify'], env);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /problem: the manifest's catalog fingerprint is damaged: the fingerprint's properties of table public\.asset do not match its digest/);
  } finally {
    writeFileSync(manifestPath, original);
  }
});

test('verify reports files the database references that are missing from the library snapshot', async () => {
  rmSync(join(library, 'upload/bob/x.heic'));
  const client = new KopiaClient(kopia.connection());
  try {
    await client.snapshot(library);
  } finally {
    await client.close();
  }
  const result = await runCli(['verify'], env);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /files: 3 referenced, 1 missing/);
  assert.match(result.stdout, /1 of 3 files the database references are not in library snapshot \w+, e.g. \/data\/upload\/bob\/x\.heic/);
});

test('restore-library restores the whole library byte for byte, .immich markers included', async () => {
  const target = join(work, 'restored-whole');
  const result = await runCli(['restore-library', '--snapshot', 'latest', '--target', target], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /restored \d+ files/);
  assert.deepEqual(hashTree(target), hashTree(library));
  assert.ok(hashTree(target).has('library/.immich'));
  assert.doesNotMatch(result.stdout, /warning: the snapshot has no/, 'every marker is in the snapshot');
});

test('restore-library of one user folder restores only that folder, and refuses a non-empty target', async () => {
  const target = join(work, 'restored-admin');
  const result = await runCli(['restore-library', '--target', target, '--path', 'library/admin'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(hashTree(target), hashTree(join(library, 'library/admin')));
  assert.match(result.stdout, /note: only library\/admin was restored, without library\/\.immich/);

  const again = await runCli(['restore-library', '--target', target, '--path', 'library/admin'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is not empty: nothing was restored \(use --force/);
});

test('with the local backups lost: restore-library --source backups, then restore-db of the restored dump, checksum verified', async () => {
  const target = join(work, 'restored-backups');
  const result = await runCli(['restore-library', '--source', 'backups', '--target', target], env);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /\.immich/, 'no marker notes for the backup folder');
  const run = runFolder();
  const name = run.slice(backupDir.length + 1);
  const restored = hashTree(join(target, name));
  const local = hashTree(run);
  // The manifest is completed after its snapshot is taken (snapshot ids), so only the rest is compared byte for byte.
  for (const file of ['dump.sql.gz', 'config/.env', 'config/docker-compose.yml']) assert.equal(restored.get(file), local.get(file), file);
  await postgres.createDatabase('from_offsite');
  const restoreDb = await runCli(['restore-db', '--input', join(target, name, 'dump.sql.gz'), '--single-transaction'], postgres.env('from_offsite'));
  assert.equal(restoreDb.code, 0, restoreDb.stderr);
  assert.match(restoreDb.stdout, /checksum verified against manifest.json/);
});
