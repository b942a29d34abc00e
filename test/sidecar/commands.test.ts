import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordRun } from '../../src/backup/state.ts';
import { runCli } from '../support/cli.ts';
import { makeRunFolder } from '../backup/helpers.ts';
import { kopiaFailedRun, successfulRun } from '../notify/fixtures.ts';

const hour = 3_600_000;

function env(backupDir: string) {
  // The start-up checks pass: the backups folder stands in for the library, the config files are optional.
  return {
    BACKUP_DIR: backupDir,
    DB_PASSWORD: 'x',
    KOPIA_ENABLED: 'false',
    LIBRARY_PATH: backupDir,
    CONFIG_FILES_OPTIONAL: '/config/docker-compose.yml,/config/.env',
  };
}

test('status: healthy with a recent good backup (exit 0), unhealthy after a failed run (exit 1)', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'status-'));
  const good = makeRunFolder(backupDir, new Date(Date.now() - hour), 'good');
  await recordRun(backupDir, successfulRun());
  const ok = await runCli(['status'], env(backupDir));
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^HEALTHY: last good backup immich-\d{8}_\d{6} is 1 h 0 min old/);
  assert.match(ok.stdout, new RegExp(`${good}\\s+good`));

  await recordRun(backupDir, kopiaFailedRun());
  const bad = await runCli(['status', '--json'], env(backupDir));
  assert.equal(bad.code, 1);
  const status = JSON.parse(bad.stdout);
  assert.equal(status.healthy, false);
  assert.match(status.reason, /kopia-backups/);
  assert.equal(status.counters.failures, 1);
});

test('list --local shows every run folder with its state', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'list-'));
  const good = makeRunFolder(backupDir, new Date(Date.now() - 2 * hour), 'good');
  const failed = makeRunFolder(backupDir, new Date(Date.now() - 3 * hour), 'failed');
  const broken = makeRunFolder(backupDir, new Date(Date.now() - 4 * hour), 'truncated');
  const result = await runCli(['list', '--local', '--json'], env(backupDir));
  assert.equal(result.code, 0, result.stderr);
  const listed = JSON.parse(result.stdout) as { local: { name: string; state: string; reason?: string }[] };
  assert.deepEqual(
    listed.local.map((folder) => [folder.name, folder.state]),
    [
      [good, 'good'],
      [failed, 'failed'],
      [broken, 'incomplete'],
    ],
  );
  assert.match(listed.local[2]!.reason!, /dump.sql.gz has the wrong size/);
});
