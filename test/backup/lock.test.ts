import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { acquireRunLock, containerIdFromMountinfo, lockFileName, RunLockedError } from '../../src/backup/lock.ts';
import { renderMetrics } from '../../src/http/metrics.ts';
import { collectStatus } from '../../src/http/status.ts';
import { runCli } from '../support/cli.ts';
import { captureLog } from '../support/log-capture.ts';
import { immichBookkeepingSql, runCommand, startPostgres } from '../support/postgres.ts';

const worker = fileURLToPath(new URL('../support/lock-worker.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

test('the run lock taken by 8 processes at once, 50 rounds, stale locks among them: never two holders, takeovers logged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-race-'));
  const workers = 8;
  const rounds = 50;
  const start = Date.now() + 2500; // after every process has started
  const outputs = await Promise.all(
    Array.from({ length: workers }, (_, index) => runCommand(process.execPath, [worker, dir, String(index), String(rounds), '40', String(start)])),
  );
  const figures = outputs.map((output) => {
    assert.equal(output.code, 0, output.stderr);
    return JSON.parse(output.stdout) as { acquired: number; refused: number; overlaps: number; takeovers: number; staleLeft: number };
  });
  const total = (key: keyof (typeof figures)[number]) => figures.reduce((sum, figure) => sum + figure[key], 0);
  assert.equal(total('overlaps'), 0, `two holders at once: ${JSON.stringify(figures)}`);
  assert.ok(total('acquired') >= rounds / 2, `the lock was taken in most rounds: ${JSON.stringify(figures)}`);
  assert.ok(total('refused') > 0, 'competitors were refused');
  assert.ok(total('staleLeft') > 0 && total('takeovers') > 0, `stale locks were left and taken over: ${JSON.stringify(figures)}`);
  // Only a stale lock of the last rounds may be left; no temporary or takeover files.
  assert.deepEqual(readdirSync(dir).filter((name) => name !== '.immich-backup.lock'), []);
});

test('a stale lock is taken over with a warning naming the dead holder; a live one is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-'));
  const gone = spawn(process.execPath, ['-e', '']);
  await once(gone, 'exit');
  writeFileSync(join(dir, lockFileName), JSON.stringify({ pid: gone.pid, host: hostname(), processStart: null, runId: 'immich-20261124_020000', since: new Date().toISOString() }));
  const capture = captureLog();
  const lock = await acquireRunLock(dir, 'immich-20261125_020000', capture.log);
  const warning = capture.records.find((record) => record.level === 40);
  assert.equal(warning?.msg, `took over a stale lock left by pid ${gone.pid} (run immich-20261124_020000), which no longer runs`);
  await assert.rejects(acquireRunLock(dir, 'second'), RunLockedError);
  await lock.release();
  assert.deepEqual(readdirSync(dir), []);
});

test('after a SIGKILL the lock left behind is no running run: status, /status and /metrics say nothing is running', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'phantom-'));
  // A backup process killed with SIGKILL: its lock stays, its PID is gone.
  const killed = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  await once(killed, 'spawn');
  writeFileSync(
    join(backupDir, lockFileName),
    JSON.stringify({ pid: killed.pid, host: hostname(), processStart: null, runId: 'immich-20261125_020000', since: new Date().toISOString() }),
  );
  const alive = await collectStatus({ backupDir, maxAgeMs: 3_600_000 });
  assert.equal(alive.running?.runId, 'immich-20261125_020000', 'a live holder is a running run');
  killed.kill('SIGKILL');
  await once(killed, 'exit');
  const status = await collectStatus({ backupDir, maxAgeMs: 3_600_000 });
  assert.equal(status.running, null);
  assert.match(renderMetrics(status), /^immich_backup_running 0$/m);
  const cli = await runCli(['status', '--json'], { BACKUP_DIR: backupDir, DB_PASSWORD: 'x', KOPIA_ENABLED: 'false' });
  assert.equal(JSON.parse(cli.stdout).running, null);
});

test('two `backup` runs started together on a small database: one succeeds, the other is refused with 75', async () => {
  const server = await startPostgres('16');
  try {
    await server.createDatabase('immich');
    await server.psql('immich', 'CREATE TABLE asset (id integer PRIMARY KEY, path text); INSERT INTO asset SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 100000) g;' + immichBookkeepingSql);
    const root = mkdtempSync(join(tmpdir(), 'two-runs-'));
    mkdirSync(join(root, 'library'));
    writeFileSync(join(root, 'docker-compose.yml'), 'services: {}\n');
    const env = {
      ...server.env('immich'),
      BACKUP_DIR: join(root, 'backups'),
      LIBRARY_PATH: join(root, 'library'),
      CONFIG_FILES: join(root, 'docker-compose.yml'),
      KOPIA_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    };
    const results = await Promise.all([runCli(['backup'], env), runCli(['backup'], env)]);
    const codes = results.map((result) => result.code).sort((a, b) => a - b);
    assert.deepEqual(codes, [0, 75], results.map((result) => result.stderr).join('\n'));
    const refused = results.find((result) => result.code === 75)!;
    assert.match(refused.stderr, /another backup run is in progress \(run immich-\d{8}_\d{6}, pid \d+/);
    const folders = readdirSync(join(root, 'backups')).filter((name) => name.startsWith('immich-'));
    assert.equal(folders.length, 1, `one run folder: ${folders.join(', ')}`);
    const state = JSON.parse(readFileSync(join(root, 'backups', '.immich-backup-state.json'), 'utf8')) as { runs: unknown[] };
    assert.equal(state.runs.length, 1);
  } finally {
    await server.stop();
  }
});

test('a lock of a run on another host (a container recreated after a SIGKILL has a new hostname) is taken over once it is no longer refreshed; a refreshed one is a run going on', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'foreign-lock-'));
  const path = join(backupDir, lockFileName);
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  const foreign = JSON.stringify({ pid: 1, host: 'old-container-1a2b3c', processStart: null, runId: 'immich-20261125_030000', since: twoHoursAgo.toISOString() });
  writeFileSync(path, foreign);
  utimesSync(path, twoHoursAgo, twoHoursAgo);
  const captured = captureLog();
  const log = captured.log;
  const lock = await acquireRunLock(backupDir, 'immich-20261125_050000', log);
  assert.match(captured.text(), /took over a stale lock left by pid 1 \(run immich-20261125_030000\)/);
  await lock.release();

  // Written (or refreshed) just now by a run on the other host: that run is going on.
  writeFileSync(path, foreign);
  await assert.rejects(acquireRunLock(backupDir, 'immich-20261125_050001', log), RunLockedError);
});

test('a run keeps its lock fresh while it holds it, so other hosts can tell it from a lock left behind', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'lock-heartbeat-'));
  const path = join(backupDir, lockFileName);
  const lock = await acquireRunLock(backupDir, 'immich-20261125_060000', captureLog().log, { refreshEveryMs: 50 });
  try {
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(path, past, past);
    const deadline = Date.now() + 10_000;
    while (statSync(path).mtimeMs <= past.getTime()) {
      assert.ok(Date.now() < deadline, 'the lock was never refreshed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await lock.release();
  }
  assert.deepEqual(readdirSync(backupDir), []);
});

test("a lock of a run in another container under the same hostname (compose's fixed `hostname: immich-backup`: two stacks' sidecars on one backups folder) is refused while refreshed, whatever its PID means here", async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'twin-container-lock-'));
  const path = join(backupDir, lockFileName);
  // The other container's node may have our PID (both start the same way) with another start
  // time, or a PID that does not exist here: either read as a dead holder before.
  for (const pid of [process.pid, 2 ** 22 - 3]) {
    const twin = JSON.stringify({
      pid,
      host: hostname(),
      processStart: '1',
      pidNamespace: 'pid:[4026530001]',
      runId: 'immich-20261125_020000',
      since: new Date().toISOString(),
    });
    writeFileSync(path, twin);
    await assert.rejects(acquireRunLock(backupDir, 'immich-20261125_020001'), RunLockedError, `pid ${pid}`);
    const status = await collectStatus({ backupDir, maxAgeMs: 3_600_000 });
    assert.equal(status.running?.runId, 'immich-20261125_020000', 'status shows the twin run going on');

    // Its run was killed with its container: no longer refreshed, the lock is taken over.
    const old = new Date(Date.now() - 11 * 60_000);
    utimesSync(path, old, old);
    const lock = await acquireRunLock(backupDir, 'immich-20261125_020002');
    await lock.release();
  }
});

test("a container's identity is the runtime's id in the source of its /etc/hostname mount (Docker, Podman, Kubernetes' pod); none outside a container or for a hostname file a user mounts", () => {
  const id = '6d7d0b0685f5d861661c614a7ce0cc9fb743a66d3c47fad515891998ccac41a8';
  const mount = (root: string, mountPoint: string) => `209 191 254:0 ${root} ${mountPoint} rw,relatime - ext4 /dev/vda rw`;
  const docker = [
    '191 139 0:71 / / rw,relatime master:5 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/G6AE',
    mount(`/var/lib/docker/containers/${id}/resolv.conf`, '/etc/resolv.conf'),
    mount(`/var/lib/docker/containers/${id}/hostname`, '/etc/hostname'),
    mount(`/var/lib/docker/containers/${id}/hosts`, '/etc/hosts'),
  ].join('\n');
  assert.equal(containerIdFromMountinfo(docker), id);
  assert.equal(containerIdFromMountinfo(mount(`/containers/storage/overlay-containers/${id}/userdata/hostname`, '/etc/hostname')), id, 'Podman');
  assert.equal(containerIdFromMountinfo(mount(`/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/${id}/hostname`, '/etc/hostname')), id, 'a Kubernetes pod');
  assert.equal(containerIdFromMountinfo('27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n'), null, 'no container');
  assert.equal(containerIdFromMountinfo(mount('/etc/hostname', '/etc/hostname')), null, "the host's /etc/hostname, mounted by hand into any number of containers");
  assert.equal(containerIdFromMountinfo(mount(`/var/lib/docker/containers/${id}/hostname`, '/etc/hostname.orig')), null, 'not the /etc/hostname mount');
});

test('a sidecar container restarted mid-run (OOM killer, `docker restart`, host reboot: a new PID namespace) takes its own dead run\'s lock at once; another container under the same hostname is refused while the lock is refreshed', { timeout: 180_000 }, async (t) => {
  const backupDir = mkdtempSync(join(tmpdir(), 'restarted-container-lock-'));
  // As the compose file runs it: a fixed hostname, the backups folder mounted.
  const containerArgs = [
    '--hostname',
    'immich-backup',
    '--user',
    `${process.getuid!()}:${process.getgid!()}`,
    '-v',
    `${repoRoot}:/app:ro`,
    '-v',
    `${backupDir}:/backups`,
    'node:24-bookworm-slim',
    'node',
  ];
  const runArgs = (runId: string) => [...containerArgs, '/app/test/support/container-lock-worker.ts', '/backups', runId];
  const started = await runCommand('docker', ['run', '-d', ...runArgs('immich-20261126_020000')]);
  assert.equal(started.code, 0, started.stderr);
  const sidecar = started.stdout.trim();
  t.after(() => runCommand('docker', ['rm', '-f', sidecar]));
  const logsOnceAcquired = async (times: number) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const logs = await runCommand('docker', ['logs', sidecar]);
      if ((logs.stdout.match(/^acquired /gm) ?? []).length >= times) return logs.stdout;
      assert.ok(Date.now() < deadline, `the sidecar took the lock fewer than ${times} times: ${logs.stdout}${logs.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  await logsOnceAcquired(1);
  const written = JSON.parse(readFileSync(join(backupDir, lockFileName), 'utf8')) as { container: string | null };
  assert.equal(written.container, sidecar, "the lock names the container by Docker's id");

  const twin = await runCommand('docker', ['run', '--rm', ...runArgs('immich-20261126_020001')]);
  assert.equal(twin.code, 75, twin.stdout + twin.stderr);
  assert.match(twin.stdout, /another backup run is in progress \(run immich-20261126_020000/);

  // Killed mid-run and started again: the same container, a new PID namespace, a lock refreshed
  // seconds ago.
  const restarted = await runCommand('docker', ['restart', '--time', '0', sidecar]);
  assert.equal(restarted.code, 0, restarted.stderr);
  const logs = await logsOnceAcquired(2);
  assert.match(logs, /took over a stale lock left by pid \d+ \(run immich-20261126_020000\), which no longer runs/);
  const rewritten = JSON.parse(readFileSync(join(backupDir, lockFileName), 'utf8')) as { container: string | null };
  assert.equal(rewritten.container, sidecar);

  // The kernel may give the new PID namespace the number of the old one, freed by the kill (then
  // the PIDs are checked, and the new node's start time tells it from the dead one); a number it
  // has given another namespace meanwhile is the case the container's identity decides, judged
  // here with a lock the container's PID would show alive.
  const judged = await runCommand('docker', ['run', '--rm', ...containerArgs, '/app/test/support/container-lock-judge.ts', '/backups']);
  assert.equal(judged.code, 0, judged.stderr);
  const verdicts = JSON.parse(judged.stdout) as Record<string, string | null>;
  assert.match(verdicts.ownContainer ?? '', /^[0-9a-f]{64}$/, judged.stdout);
  assert.equal(verdicts.ownEarlierIncarnation, 'taken over', judged.stdout);
  assert.equal(verdicts.twinRefreshed, 'refused', judged.stdout);
  assert.equal(verdicts.twinNoLongerRefreshed, 'taken over', judged.stdout);
});
