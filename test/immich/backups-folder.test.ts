import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyRunId, immichCopyName, placeCopy, pruneCopies } from '../../src/immich/backups-folder.ts';
import { compareMigrations } from '../../src/postgres/immich-migrations.ts';
import { runNodeUnprivileged } from '../support/unprivileged.ts';

/**
 * Immich's own patterns, exactly as server/src/utils/database-backups.ts has them (v2.5.6 … v3.1):
 * what its web restore lists, how it reads the date and the version badge, what its nightly
 * retention prunes, and its "≤ 2.4 is a pg_dumpall cluster dump" rule (semver `<= 2.4`).
 */
const immich = {
  listed: (name: string) => /^[\d\w-.]+\.sql(?:\.gz)?$/.test(name),
  date: (name: string) => /\d+T\d+/.exec(name)?.[0],
  version: (name: string) => /-v(.*)-/.exec(name)?.[1],
  pruned: (name: string) =>
    /^immich-db-backup-\d+\.sql\.gz$/.test(name) ||
    /^immich-db-backup-\d{8}T\d{6}-v.*-pg.*\.sql\.gz$/.test(name) ||
    /^immich-db-backup-.*\.sql\.gz\.tmp$/.test(name),
  /** semver.satisfies(version, '<= 2.4') for a plain x.y.z version: below 2.5.0. */
  isClusterDump: (version: string | undefined) => {
    const parts = /^(\d+)\.(\d+)\.(\d+)$/.exec(version ?? '');
    if (parts === null) return false;
    const [major, minor] = [Number(parts[1]), Number(parts[2])];
    return major < 2 || (major === 2 && minor <= 4);
  },
};

test('the copy name parses with Immich\'s patterns to the run\'s date and Immich\'s version; Immich never prunes it', () => {
  const name = immichCopyName('immich-20260301_020304', '2.5.6', '16.4 (Debian 16.4-1.pgdg120+1)');
  assert.equal(name, 'immich-backup-20260301T020304-v2.5.6-pg16.4.sql.gz');
  assert.ok(immich.listed(name));
  assert.equal(immich.date(name), '20260301T020304');
  assert.equal(immich.version(name), '2.5.6');
  assert.equal(immich.pruned(name), false);
  assert.equal(immich.isClusterDump(immich.version(name)), false);
  assert.equal(copyRunId(name), 'immich-20260301_020304');
  // While it is written, Immich neither lists nor prunes it.
  assert.equal(immich.listed(`.${name}.partial`), false);
  assert.equal(immich.pruned(`.${name}.partial`), false);
});

test('property: for any Immich version, PostgreSQL version string and run id, -v(.*)- reads exactly the real version', () => {
  let seed = 12345;
  const random = (limit: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % limit;
  };
  const postgresVersions = [
    '14.17', '16.4 (Debian 16.4-1.pgdg120+1)', '17.2 (Ubuntu 17.2-1.pgdg24.04+1)', '18.0-rc1', '15beta2', '14.5-v2.4.0-x',
    '16.1 (Homebrew) -v1-', '18.3',
  ];
  const special = ['2.4.0', '2.4.99', '2.5.0', '1.0.0', '0.0.0', '10.4.0', '2.40.0', '24.0.1', '3.1.0', '2.5.6'];
  let checked = 0;
  for (let index = 0; index < 5000; index += 1) {
    const version = index < special.length ? special[index]! : `${random(40)}.${random(200)}.${random(1000)}`;
    const postgres = postgresVersions[random(postgresVersions.length)]!;
    const suffix = random(4) === 0 ? `-${2 + random(8)}` : '';
    const runId = `immich-2026${String(1 + random(12)).padStart(2, '0')}${String(1 + random(28)).padStart(2, '0')}_${String(random(24)).padStart(2, '0')}${String(random(60)).padStart(2, '0')}${String(random(60)).padStart(2, '0')}${suffix}`;
    const name = immichCopyName(runId, version, postgres);
    assert.ok(immich.listed(name), name);
    assert.equal(immich.version(name), version, name);
    assert.equal(immich.isClusterDump(immich.version(name)), immich.isClusterDump(version), name);
    assert.equal(immich.date(name), runId.slice(7, 22).replace('_', 'T'), name);
    assert.equal(immich.pruned(name), false, name);
    assert.equal(copyRunId(name), runId, name);
    checked += 1;
  }
  assert.equal(checked, 5000);
});

test('a version that is not major.minor.patch, or a server version without a number, is refused rather than written', () => {
  assert.throws(() => immichCopyName('immich-20260301_020304', '2.5.0-rc.1', '16.4'), /not an Immich version/);
  assert.throws(() => immichCopyName('immich-20260301_020304', 'unknown', '16.4'), /not an Immich version/);
  assert.throws(() => immichCopyName('immich-20260301_020304', '2.5.0', 'devel'), /not a PostgreSQL version/);
  assert.throws(() => immichCopyName('not-a-run', '2.5.0', '16'), /not a run id/);
});

test('pruning removes only our copies whose run is gone and our partial leftovers; Immich\'s own files stay', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'immich-backups-'));
  const kept = immichCopyName('immich-20260301_020000', '2.5.6', '16.4');
  const gone = immichCopyName('immich-20260201_020000', '2.5.6', '16.4');
  const immichOwn = [
    'immich-db-backup-20260301T020000-v2.5.6-pg16.4.sql.gz',
    'immich-db-backup-1712345678.sql.gz',
    'immich-db-backup-20260302T020000-v2.5.6-pg16.4.sql.gz.tmp',
    'restore-point-immich-db-backup-20260301T020000-v2.5.6-pg16.4.sql.gz',
    'uploaded-immich-backup-20260101T020000-v2.5.6-pg16.4.sql.gz',
    'immich-backup-notes.txt',
    '.immich',
  ];
  for (const name of [kept, gone, `.${gone}.partial`, ...immichOwn]) writeFileSync(join(folder, name), name);
  const result = await pruneCopies(folder, new Set(['immich-20260301_020000']));
  assert.deepEqual(result.deleted.sort(), [`.${gone}.partial`, gone].sort());
  assert.deepEqual(result.errors, []);
  assert.deepEqual(readdirSync(folder).sort(), [kept, ...immichOwn].sort());
});

test('placing a copy: the same bytes under the final name, nothing partial left; a copy that does not match is refused', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'immich-place-'));
  const source = join(folder, 'dump.sql.gz');
  const content = Buffer.from('not really gzip, but bytes to copy\n'.repeat(1000));
  writeFileSync(source, content);
  const target = join(folder, 'backups');
  mkdirSync(target);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const name = immichCopyName('immich-20260301_020000', '2.5.6', '16.4');
  const path = await placeCopy({ source, sha256, size: content.length, directory: target, name });
  assert.equal(path, join(target, name));
  assert.deepEqual(readFileSync(path), content);
  assert.deepEqual(readdirSync(target), [name]);

  const other = immichCopyName('immich-20260302_020000', '2.5.6', '16.4');
  await assert.rejects(placeCopy({ source, sha256: 'f'.repeat(64), size: content.length, directory: target, name: other }), /does not match the dump/);
  assert.deepEqual(readdirSync(target), [name], 'no partial and no final file after a mismatch');
  await assert.rejects(placeCopy({ source, sha256, size: content.length, directory: join(folder, 'missing'), name: other }), /does not exist: mount/);
});

test('migration names compare by their timestamp prefix, whatever their length', () => {
  assert.ok(compareMigrations('1744910873969-InitialMigration', '1752759108283-ConvertToAbsolutePaths') < 0);
  assert.ok(compareMigrations('1752759108283-ConvertToAbsolutePaths', '1744910873969-InitialMigration') > 0);
  assert.ok(compareMigrations('999-Old', '1000-New') < 0);
  assert.equal(compareMigrations('1744910873969-A', '1744910873969-A'), 0);
});

test('a backups folder the sidecar may not write is "permission denied on X", and nothing is left in it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'immich-place-denied-'));
  chmodSync(root, 0o755);
  const source = join(root, 'dump.sql.gz');
  writeFileSync(source, 'bytes', { mode: 0o644 });
  const target = join(root, 'backups');
  mkdirSync(target, { mode: 0o755 });
  const sha256 = createHash('sha256').update('bytes').digest('hex');
  // As an unprivileged user (root writes everywhere), the way a sidecar with `user:` set runs.
  const script = `import(${JSON.stringify(new URL('../../src/immich/backups-folder.ts', import.meta.url).href)})
    .then((module) => module.placeCopy(${JSON.stringify({ source, sha256, size: 5, directory: target, name: 'immich-backup-20260301T020000-v2.5.6-pg16.sql.gz' })}))
    .then(() => process.stdout.write('placed'), (error) => process.stdout.write(error.message))`;
  const child = await runNodeUnprivileged(['--input-type=module', '-e', script], { folders: [root] });
  assert.match(child.stdout, new RegExp(`^permission denied on ${target}: mount Immich's backups folder read-write into the sidecar \\(EACCES\\)`), child.stderr);
  assert.deepEqual(readdirSync(target), []);
});
