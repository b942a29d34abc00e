import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { localContainer } from '../support/containers.ts';
import pg from 'pg';
import { manifestSchema } from '../../src/backup/manifest.ts';
import { listRunFolders } from '../../src/backup/run-folders.ts';
import { runCommand } from '../support/postgres.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Acceptance 1 and 2 of the sidecar, with real containers: Postgres (an Immich-like database), a
 * Kopia server (kopia/kopia, started like compose.sidecar.yml starts it, with no repository), and
 * the sidecar image built from the Dockerfile, running `serve`. Runs are triggered the way a user
 * would: `docker exec … immich-backup backup`. The test's own HTTP server receives the webhooks.
 */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const image = 'immich-backup:e2e-test';
const dbPassword = 'e2e-db-password';
const kopiaPassword = 'e2e-kopia-server-password';
const repositoryPassword = 'e2e-kopia-repository-password';

let network: StartedNetwork;
let postgres: StartedTestContainer;
let kopia: StartedTestContainer;
let sidecar: StartedTestContainer;
let receiver: WebhookReceiver;
let backupDir: string;
let sidecarUrl: string;
let kopiaUrl: string;

function rows(): Promise<number> {
  const client = new pg.Client({
    host: postgres.getHost(),
    port: postgres.getMappedPort(5432),
    user: 'postgres',
    password: dbPassword,
    database: 'immich',
  });
  return client
    .connect()
    .then(() => client.query<{ n: string }>(`SELECT (SELECT count(*) FROM asset) + (SELECT count(*) FROM asset_exif) + (SELECT count(*) FROM album_asset) AS n`))
    .then((result) => Number(result.rows[0]!.n))
    .finally(() => client.end());
}

async function kopiaApi<T>(path: string): Promise<T> {
  const response = await fetch(`${kopiaUrl}${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`kopia:${kopiaPassword}`).toString('base64')}` },
  });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function backupNow(): Promise<{ exitCode: number; output: string }> {
  const result = await sidecar.exec(['immich-backup', 'backup']);
  return { exitCode: result.exitCode, output: result.output };
}

before(async () => {
  const build = await runCommand('docker', ['build', '-q', '-t', image, repoRoot]);
  assert.equal(build.code, 0, build.stderr);

  receiver = await startWebhookReceiver('0.0.0.0');
  network = await new Network().start();

  const root = mkdtempSync(join(tmpdir(), 'sidecar-e2e-'));
  backupDir = join(root, 'backups');
  const library = join(root, 'library');
  const configDir = join(root, 'config');
  mkdirSync(backupDir, { mode: 0o777 });
  chmodSync(backupDir, 0o777); // the sidecar runs as uid 1000
  for (const folder of ['library/admin/2026/11', 'upload/admin', 'profile/admin', 'thumbs/admin']) {
    mkdirSync(join(library, folder), { recursive: true });
  }
  for (const folder of ['library', 'upload', 'profile', 'thumbs']) writeFileSync(join(library, folder, '.immich'), '1732412345\n');
  for (let index = 1; index <= 20; index += 1) {
    writeFileSync(join(library, 'library/admin/2026/11', `IMG_${index}.jpg`), Buffer.alloc(10_000 + index, index));
  }
  writeFileSync(join(library, 'profile/admin/avatar.png'), 'png');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'docker-compose.yml'), 'name: immich\nservices: {}\n');
  writeFileSync(join(configDir, '.env'), `DB_PASSWORD=${dbPassword}\nUPLOAD_LOCATION=./library\n`);
  chmodSync(join(configDir, '.env'), 0o644);

  [postgres, kopia] = await Promise.all([
    localContainer('postgres:14')
      .withNetwork(network)
      .withNetworkAliases('database')
      .withEnvironment({ POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: dbPassword, POSTGRES_DB: 'immich' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forAll([Wait.forListeningPorts(), Wait.forLogMessage(/database system is ready to accept connections/)]))
      .start(),
    localContainer('kopia/kopia:0.23.1')
      .withNetwork(network)
      .withNetworkAliases('kopia')
      .withHostname('immich-kopia')
      .withEnvironment({ KOPIA_SERVER_PASSWORD: kopiaPassword, KOPIA_PASSWORD: repositoryPassword })
      .withCommand(['server', 'start', '--insecure', '--address=0.0.0.0:51515', '--server-username=kopia', '--disable-csrf-token-checks', '--async-repo-connect'])
      .withBindMounts([
        { source: backupDir, target: '/backups', mode: 'ro' },
        { source: library, target: '/library', mode: 'ro' },
      ])
      .withExposedPorts(51515)
      .withWaitStrategy(Wait.forLogMessage(/SERVER ADDRESS:/))
      .start(),
  ]);
  kopiaUrl = `http://${kopia.getHost()}:${kopia.getMappedPort(51515)}`;
  const fixture = readFileSync(new URL('./fixtures/immich-like.sql', import.meta.url), 'utf8');
  const client = new pg.Client({ host: postgres.getHost(), port: postgres.getMappedPort(5432), user: 'postgres', password: dbPassword, database: 'immich' });
  await client.connect();
  await client.query(fixture);
  await client.end();

  sidecar = await localContainer(image)
    .withNetwork(network)
    .withExtraHosts([{ host: 'host.docker.internal', ipAddress: 'host-gateway' }])
    .withEnvironment({
      DB_HOSTNAME: 'database',
      DB_PASSWORD: dbPassword,
      DB_DATABASE_NAME: 'immich',
      KOPIA_SERVER_URL: 'http://kopia:51515',
      KOPIA_SERVER_PASSWORD: kopiaPassword,
      KOPIA_REPOSITORY_PASSWORD: repositoryPassword,
      WEBHOOK_URL: `http://host.docker.internal:${receiver.port}/hook/e2eSecretToken0123456789`,
      NOTIFY_TIMEOUT: '3s',
      NOTIFY_RETRIES: '1',
      TZ: 'Europe/Berlin',
    })
    .withBindMounts([
      { source: backupDir, target: '/backups', mode: 'rw' },
      { source: library, target: '/library', mode: 'ro' },
      { source: configDir, target: '/config', mode: 'ro' },
    ])
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forLogMessage(/HTTP server listening/))
    .start();
  sidecarUrl = `http://${sidecar.getHost()}:${sidecar.getMappedPort(8080)}`;
});

after(async () => {
  await Promise.allSettled([sidecar?.stop(), kopia?.stop(), postgres?.stop()]);
  await network?.stop();
  await receiver?.close();
});

test('a triggered run: dump folder and manifest, two Kopia snapshots, success webhook, /healthz 200, /metrics', async () => {
  const expectedRows = await rows();
  const run = await backupNow();
  assert.equal(run.exitCode, 0, run.output);

  const folders = await listRunFolders(backupDir);
  assert.equal(folders.length, 1, JSON.stringify(folders));
  const [folder] = folders;
  assert.equal(folder!.state, 'good');
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(folder!.path, 'manifest.json'), 'utf8')));
  assert.equal(manifest.status, 'complete');
  assert.match(manifest.database!.serverVersion, /^14\./);
  const asset = manifest.database!.tables.find((table) => table.name === 'asset');
  assert.equal(asset?.rows, 2000);
  assert.deepEqual(manifest.files.map((file) => file.path).sort(), ['config/.env', 'config/docker-compose.yml', 'dump.sql.gz']);
  assert.deepEqual(readdirSync(join(folder!.path, 'config')).sort(), ['.env', 'docker-compose.yml']);

  // Two snapshots, one per source, with the run named in the description.
  const sources = await kopiaApi<{ localHost: string; localUsername: string }>('/api/v1/sources');
  for (const path of ['/backups', '/library']) {
    const query = new URLSearchParams({ host: sources.localHost, userName: sources.localUsername, path, all: '1' });
    const list = await kopiaApi<{ snapshots: { id: string; description: string; summary: { files: number } }[] }>(`/api/v1/snapshots?${query}`);
    assert.equal(list.snapshots.length, 1, `${path}: ${JSON.stringify(list)}`);
    assert.match(list.snapshots[0]!.description, new RegExp(folder!.runId));
    assert.equal(list.snapshots[0]!.id, manifest.kopia?.[path === '/backups' ? 'backups' : 'library']?.id);
  }

  const webhook = await receiver.waitFor((request) => request.path.startsWith('/hook/') && JSON.parse(request.body).event === 'success');
  const payload = JSON.parse(webhook.body);
  assert.equal(payload.run.runId, folder!.runId);
  assert.equal(payload.run.exitCode, 0);
  const manifestRows = manifest.database!.tables.reduce((sum, table) => sum + table.rows, 0);
  assert.equal(payload.run.dump.rows, manifestRows);
  assert.ok(manifestRows >= expectedRows + 2, `${manifestRows} rows in the dump, ${expectedRows} in three tables alone`);
  assert.ok(payload.run.snapshots.backups.id);
  assert.ok(payload.run.snapshots.library.id);

  const health = await fetch(`${sidecarUrl}/healthz`);
  assert.equal(health.status, 200, await health.clone().text());
  const metrics = await (await fetch(`${sidecarUrl}/metrics`)).text();
  assert.match(metrics, new RegExp(`^immich_backup_dump_rows ${payload.run.dump.rows}$`, 'm'));
  assert.match(metrics, new RegExp(`^immich_backup_dump_size_bytes ${manifest.files[0]!.size}$`, 'm'));
  assert.match(metrics, /^immich_backup_last_run_success 1$/m);
  assert.match(metrics, /^immich_backup_snapshot_files\{source="library"\} \d+$/m);
});

test('Kopia stopped: exit 2, the local backup is kept, failure webhook names the Kopia repository check, /healthz 503', async () => {
  await kopia.stop();
  const before = (await listRunFolders(backupDir)).length;
  const run = await backupNow();
  assert.equal(run.exitCode, 2, run.output);
  const folders = await listRunFolders(backupDir);
  assert.equal(folders.length, before + 1);
  assert.equal(folders[0]!.state, 'good', 'the local backup is kept and complete');
  assert.match(folders[0]!.manifest!.kopia!.errors.join('\n'), /kopia-repository/);
  const webhook = await receiver.waitFor(
    (request) => request.path.startsWith('/hook/') && JSON.parse(request.body).event === 'failure' && JSON.parse(request.body).run.runId === folders[0]!.runId,
  );
  const payload = JSON.parse(webhook.body);
  assert.equal(payload.run.exitCode, 2);
  assert.equal(payload.run.failedStep, 'kopia-repository', 'the repository check fails first: no snapshot is attempted');
  assert.equal(payload.run.offsite, false);
  const health = await fetch(`${sidecarUrl}/healthz`);
  assert.equal(health.status, 503);
  assert.match(await health.text(), /kopia-repository/);
});

test('Postgres unreachable: exit 1, failure webhook, no run folder left looking good', async () => {
  await postgres.stop();
  const goodBefore = (await listRunFolders(backupDir)).filter((folder) => folder.state === 'good').map((folder) => folder.name);
  const run = await backupNow();
  assert.equal(run.exitCode, 1, run.output);
  const after = await listRunFolders(backupDir);
  assert.deepEqual(after.filter((folder) => folder.state === 'good').map((folder) => folder.name), goodBefore);
  assert.deepEqual(after.filter((folder) => folder.partial), []);
  const webhook = await receiver.waitFor(
    (request) => request.path.startsWith('/hook/') && JSON.parse(request.body).event === 'failure' && JSON.parse(request.body).run.exitCode === 1,
  );
  assert.equal(JSON.parse(webhook.body).run.failedStep, 'dump');
  assert.equal((await fetch(`${sidecarUrl}/healthz`)).status, 503);
});
