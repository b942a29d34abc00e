import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyRetention } from '../../src/backup/steps/retention.ts';
import { listRunFolders } from '../../src/backup/run-folders.ts';
import { captureLog } from '../support/log-capture.ts';
import { dayMs, makeRunFolder } from './helpers.ts';

const now = new Date(2026, 10, 24, 3, 0, 0);
const ago = (days: number, hours = 0) => new Date(now.getTime() - days * dayMs - hours * 3_600_000);

/** What is left in BACKUP_DIR, without the tool's own state files (checksum cache, locks). */
function folderNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.immich-backup'))
    .sort();
}

function backupDir(): string {
  return mkdtempSync(join(tmpdir(), 'retention-'));
}

test('folder states: good needs a complete manifest and every listed file at its size', async () => {
  const dir = backupDir();
  const good = makeRunFolder(dir, ago(1), 'good');
  const failed = makeRunFolder(dir, ago(2), 'failed');
  const none = makeRunFolder(dir, ago(3), 'no-manifest');
  const running = makeRunFolder(dir, ago(4), 'in-progress');
  const truncated = makeRunFolder(dir, ago(5), 'truncated');
  const partial = makeRunFolder(dir, ago(6), 'partial');
  const folders = await listRunFolders(dir);
  const state = Object.fromEntries(folders.map((folder) => [folder.name, folder.state]));
  assert.deepEqual(state, {
    [good]: 'good',
    [failed]: 'failed',
    [none]: 'incomplete',
    [running]: 'incomplete',
    [truncated]: 'incomplete',
    [partial]: 'incomplete',
  });
  assert.deepEqual(
    folders.map((folder) => folder.name),
    [good, failed, none, running, truncated, partial],
    'newest first',
  );
});

test('exactly the right folders are deleted: old ones and failed ones, never the newest good ones, never foreign files', async () => {
  const dir = backupDir();
  const keep = {
    recentGood: makeRunFolder(dir, ago(1), 'good'),
    recentFailed: makeRunFolder(dir, ago(2), 'failed'),
    recentGood2: makeRunFolder(dir, ago(3), 'good'),
    within: makeRunFolder(dir, ago(6, 23), 'good'),
  };
  const remove = {
    oldGood: makeRunFolder(dir, ago(8), 'good'), // 4th good: not protected with BACKUP_KEEP_MIN=3
    oldFailed: makeRunFolder(dir, ago(9), 'failed'),
    oldIncomplete: makeRunFolder(dir, ago(10), 'no-manifest'),
    oldTruncated: makeRunFolder(dir, ago(12), 'truncated'),
    oldGood2: makeRunFolder(dir, ago(20), 'good'),
    interrupted: makeRunFolder(dir, ago(0, 5), 'partial'),
  };
  // Things that are not this tool's run folders must survive whatever their age.
  mkdirSync(join(dir, 'immich-db-backup-20200101T000000-v1.0.0-pg14.sql.gz.d'));
  writeFileSync(join(dir, 'immich-db-backup-1700000000000.sql.gz'), 'immich own dump');
  mkdirSync(join(dir, 'immich-2020'));
  mkdirSync(join(dir, 'my-notes'));

  const { log } = captureLog();
  const result = await applyRetention(dir, { keepDays: 7, keepMin: 3 }, { now, log });
  assert.deepEqual(result.deleted.sort(), Object.values(remove).sort());
  assert.deepEqual(result.errors, []);
  const left = folderNames(dir);
  assert.deepEqual(
    left,
    [
      ...Object.values(keep),
      'immich-2020',
      'immich-db-backup-1700000000000.sql.gz',
      'immich-db-backup-20200101T000000-v1.0.0-pg14.sql.gz.d',
      'my-notes',
    ].sort(),
  );
});

test('when every backup is older than the limit, the newest good ones survive (the tool stopped succeeding)', async () => {
  const dir = backupDir();
  const goods = [30, 31, 32, 40].map((days) => makeRunFolder(dir, ago(days), 'good'));
  const failures = [1, 2, 3, 29, 35].map((days) => makeRunFolder(dir, ago(days), 'failed'));
  const { log } = captureLog();
  const result = await applyRetention(dir, { keepDays: 7, keepMin: 3 }, { now, log });
  const left = folderNames(dir);
  // Good ones: the newest three stay; failed ones younger than the limit stay too.
  assert.deepEqual(left, [...goods.slice(0, 3), ...failures.slice(0, 3)].sort());
  assert.deepEqual(result.deleted.sort(), [goods[3]!, failures[3]!, failures[4]!].sort());
});

test('the run in progress is never touched, and BACKUP_KEEP_DAYS=0 keeps only the protected ones', async () => {
  const dir = backupDir();
  const current = makeRunFolder(dir, ago(0), 'partial');
  const currentId = current.replace(/^\./, '').replace(/\.partial$/, '');
  const goods = [1, 2, 3].map((days) => makeRunFolder(dir, ago(days), 'good'));
  const { log } = captureLog();
  const result = await applyRetention(dir, { keepDays: 0, keepMin: 1 }, { now, currentRunId: currentId, log });
  assert.deepEqual(folderNames(dir), [current, goods[0]!].sort());
  assert.deepEqual(result.deleted.sort(), goods.slice(1).sort());
});

test("the current run's finished folder counts as one of the newest good ones", async () => {
  const dir = backupDir();
  const current = makeRunFolder(dir, ago(0), 'good');
  const old = [10, 11, 12].map((days) => makeRunFolder(dir, ago(days), 'good'));
  const { log } = captureLog();
  await applyRetention(dir, { keepDays: 7, keepMin: 3 }, { now, currentRunId: current, log });
  assert.deepEqual(folderNames(dir), [current, old[0]!, old[1]!].sort());
});
