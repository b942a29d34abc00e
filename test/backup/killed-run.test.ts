import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { lockFileName } from '../../src/backup/lock.ts';
import { runCli, startCli } from '../support/cli.ts';
import { createBulkAssetTable, startPostgres, type PostgresServer } from '../support/postgres.ts';

/**
 * A run killed outright (SIGKILL: the OOM killer, `docker kill`, a power cut of the container) in
 * the middle of its dump leaves its hidden partial folder and its lock. Nothing of it may count as a
 * backup, nothing may say a run is still going on, and the next run must simply work: take over the
 * lock, make a good backup, and remove the leftovers.
 */
let server: PostgresServer;
const root = mkdtempSync(join(tmpdir(), 'killed-run-'));

before(async () => {
  server = await startPostgres('15');
  await server.createDatabase('immich');
  // About 80 MB of COPY text: the dump is still writing when it is killed.
  await createBulkAssetTable(server, 'immich', 300000);
});
after(async () => {
  await server?.stop().catch(() => undefined);
});

test('SIGKILL in the middle of the dump: nothing counts as a backup or as running, and the next run succeeds and cleans up', { timeout: 120_000 }, async () => {
  const backupDir = join(root, 'backups');
  const configDir = join(root, 'config');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'docker-compose.yml'), 'name: immich\n');
  const env = {
    ...server.env('immich'),
    BACKUP_DIR: backupDir,
    KOPIA_ENABLED: 'false',
    IMMICH_URL: 'off',
    LIBRARY_PATH: root,
    CONFIG_FILES: join(configDir, 'docker-compose.yml'),
  };
  const running = startCli(['backup'], env);
  const deadline = Date.now() + 60_000;
  const partialDump = () => {
    const partial = existsSync(backupDir) ? readdirSync(backupDir).find((name) => name.endsWith('.partial')) : undefined;
    return partial === undefined ? undefined : join(backupDir, partial, 'dump.sql.gz.partial');
  };
  for (;;) {
    const path = partialDump();
    if (path !== undefined && existsSync(path) && statSync(path).size > 64 * 1024) break;
    assert.ok(Date.now() < deadline, 'the dump never started writing');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  running.child.kill('SIGKILL');
  const killed = await running.exited;
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(existsSync(join(backupDir, lockFileName)), 'the killed run left its lock');

  const listed = JSON.parse((await runCli(['list', '--local', '--json'], env)).stdout) as { local: { name: string; state: string }[] };
  assert.deepEqual(listed.local.map((folder) => folder.state), ['incomplete'], 'the partial folder is listed, and not as good');
  assert.match(listed.local[0]!.name, /^\.immich-\d{8}_\d{6}\.partial$/);
  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as { running: unknown; healthy: boolean };
  assert.equal(status.running, null, 'a dead holder is no running run');
  assert.equal(status.healthy, false, 'no good backup yet');

  const next = await runCli(['backup'], env);
  assert.equal(next.code, 0, next.stdout + next.stderr);
  assert.match(next.stderr, /took over|stale/i, 'the stale lock is taken over, and said so');
  const after = readdirSync(backupDir).filter((name) => name.startsWith('immich-') || name.startsWith('.immich-20') || name === lockFileName);
  assert.equal(after.length, 1, `only the new run folder is left: ${after.join(', ')}`);
  assert.match(after[0]!, /^immich-\d{8}_\d{6}$/);
  const final = JSON.parse((await runCli(['list', '--local', '--json'], env)).stdout) as { local: { state: string }[] };
  assert.deepEqual(final.local.map((folder) => folder.state), ['good']);
});
