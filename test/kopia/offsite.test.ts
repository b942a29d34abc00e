import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Env } from '../../src/config.ts';
import { createHttpServer, listen } from '../../src/http/server.ts';
import { collectStatus } from '../../src/http/status.ts';
import { KopiaClient } from '../../src/kopia/client.ts';
import { createLogger } from '../../src/log.ts';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';
import { immichBookkeepingSql, startPostgres, type PostgresServer } from '../support/postgres.ts';
import { describeData, describeSchema } from '../support/schema.ts';
import { hashTree } from '../support/tree.ts';
import { runNodeUnprivileged } from '../support/unprivileged.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Issue 12: the offsite copy is never lost silently. Two real Kopia servers: the stack's own
 * (started like compose.sidecar.yml starts it: no repository, --async-repo-connect, the repository
 * password only from KOPIA_PASSWORD, nothing persisted) and a second one over pinned TLS playing
 * the vault, with its own repository user. Backups run through the CLI with a real Postgres.
 */
const vaultUser = 'immich@immich-kopia';
const vaultUserPassword = 'vault-user-password-for-tests';

let postgres: PostgresServer;
let vault: KopiaServer;
let stack: KopiaServer;
let receiver: WebhookReceiver;
let http: Server;
let healthUrl: string;
let env: Env;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-offsite-'));
const backupDir = join(work, 'backups');
const library = join(work, 'upload-location');
const defaultRepository = join(work, 'default-repository');
const passwordFile = join(work, 'vault-password');

async function backup(extra: Env = {}) {
  const result = await runCli(['backup', '--json'], { ...env, ...extra });
  const report = JSON.parse(result.stdout) as {
    exitCode: number;
    offsite: boolean;
    error: string | null;
    warnings: string[];
    repository: { id: string; storage: string; offsite: boolean; description: string } | null;
    snapshots: { backups?: { id: string }; library?: { id: string } };
  };
  return { ...result, report };
}

async function notification(runIdPredicate: (run: { runId: string; exitCode: number }) => boolean) {
  const request = await receiver.waitFor((r) => runIdPredicate(JSON.parse(r.body).run), 10_000);
  return JSON.parse(request.body) as { event: string; message: string; run: { runId: string; exitCode: number; offsite: boolean } };
}

async function metrics(): Promise<string> {
  return (await fetch(`${healthUrl}/metrics`)).text();
}

async function vaultSnapshots(): Promise<{ id: string; source: { host: string; userName: string; path: string } }[]> {
  await vault.refresh();
  const listed = await vault.cli(['snapshot', 'list', '--all', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout);
}

function defaultRepositoryFiles(): string[] {
  return existsSync(defaultRepository) ? readdirSync(defaultRepository).sort() : [];
}

before(async () => {
  mkdirSync(backupDir);
  for (const folder of ['library/admin/2026', 'upload/admin', 'thumbs/admin']) mkdirSync(join(library, folder), { recursive: true });
  for (const folder of ['library', 'upload', 'thumbs']) writeFileSync(join(library, folder, '.immich'), '1732420800000');
  for (let n = 0; n < 5; n += 1) writeFileSync(join(library, 'library/admin/2026', `IMG_${n}.jpg`), `photo ${n}`.repeat(500));
  // Immich's files belong to the user Immich runs as, not to whoever restores them.
  for (const path of ['library', 'library/admin', 'library/admin/2026', 'library/admin/2026/IMG_0.jpg']) chownSync(join(library, path), 1000, 1000);
  chmodSync(join(library, 'library/admin/2026/IMG_0.jpg'), 0o640);
  writeFileSync(join(work, 'docker-compose.yml'), 'services: {}\n');
  writeFileSync(join(work, '.env'), 'DB_PASSWORD=secret\n');
  writeFileSync(passwordFile, `${vaultUserPassword}\n`, { mode: 0o600 });

  [postgres, vault, stack, receiver] = await Promise.all([
    startPostgres('16'),
    startKopiaServer(),
    // As the kopia image runs it: the password comes from the environment only, never stored.
    startKopiaServer({ withRepository: false, asyncRepoConnect: true, env: { KOPIA_PASSWORD: vaultUserPassword, KOPIA_PERSIST_CREDENTIALS_ON_CONNECT: 'false' } }),
    startWebhookReceiver(),
  ]);
  await postgres.createDatabase('immich');
  await postgres.psql('immich', Buffer.concat([readFileSync(new URL('../fixtures/immich-like.sql', import.meta.url)), Buffer.from(immichBookkeepingSql)]));
  const added = await vault.cli(['server', 'user', 'add', vaultUser, '--user-password', vaultUserPassword]);
  assert.equal(added.code, 0, added.stderr);
  await vault.refresh();

  env = {
    ...postgres.env('immich'),
    ...stack.env(),
    BACKUP_DIR: backupDir,
    LIBRARY_PATH: library,
    KOPIA_LIBRARY_PATH: library,
    KOPIA_BACKUPS_PATH: backupDir,
    KOPIA_REPOSITORY_PASSWORD: 'default-local-repository-password',
    KOPIA_DEFAULT_REPOSITORY_PATH: defaultRepository,
    KOPIA_CONNECT_TIMEOUT: '4s',
    CONFIG_FILES: `${join(work, 'docker-compose.yml')},${join(work, '.env')}`,
    WEBHOOK_URL: `${receiver.url}/hook`,
    NOTIFY_RETRIES: '0',
    TZ: 'UTC',
  };
  // The sidecar's /healthz and /metrics, from the same state the runs write.
  http = createHttpServer(() => collectStatus({ backupDir, maxAgeMs: 26 * 3_600_000 }), createLogger({ level: 'silent' }));
  healthUrl = `http://127.0.0.1:${await listen(http, 0, '127.0.0.1')}`;
});

after(async () => {
  http?.close();
  await Promise.allSettled([postgres?.stop(), vault?.destroy(), stack?.destroy(), receiver?.close()]);
  rmSync(work, { recursive: true, force: true });
});

test('first run: the default local repository is created; offsite false, a warning in the notification, metric 0', async () => {
  const first = await backup();
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.report.repository?.storage, 'filesystem');
  assert.equal(first.report.offsite, false);
  assert.ok(defaultRepositoryFiles().length > 0, 'the default repository is on disk');
  assert.ok(first.report.warnings.some((warning) => warning.startsWith('NOT OFFSITE:')), JSON.stringify(first.report.warnings));
  const message = await notification((run) => run.exitCode === 0);
  assert.match(message.message, /^Offsite: NO \(local filesystem repository/m);
  assert.match(message.message, /^Warning: NOT OFFSITE:/m);
  assert.equal(message.run.offsite, false);
  assert.match(await metrics(), /^immich_backup_offsite 0$/m);

  // The warning is repeated at most about once a day; the "Offsite: NO" line is in every notification.
  receiver.requests.length = 0;
  const second = await backup();
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(second.report.warnings.filter((warning) => warning.startsWith('NOT OFFSITE:')), []);
  assert.match((await notification((run) => run.exitCode === 0)).message, /^Offsite: NO/m);

  // Every retention count is explicit on the policy: nothing inherited from Kopia's defaults.
  const client = new KopiaClient(stack.connection());
  try {
    const policy = await client.definedPolicy(library);
    assert.deepEqual(policy?.retention, { keepLatest: 0, keepHourly: 0, keepDaily: 30, keepWeekly: 12, keepMonthly: 12, keepAnnual: 0 });
  } finally {
    await client.close();
  }
});

test('kopia connect: refuses to replace a connected repository unless asked; then runs snapshot to the vault, offsite true, metric 1', async () => {
  const args = ['kopia', 'connect', '--url', vault.url, '--fingerprint', vault.fingerprint, '--username', vaultUser, '--password-file', passwordFile];
  const refused = await runCli(args, env);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /connected to local filesystem repository.*nothing changed.*--replace/);
  assert.equal((await backup()).report.repository?.storage, 'filesystem', 'still the local one');

  const connected = await runCli([...args, '--replace', '--description', 'vault'], env);
  assert.equal(connected.code, 0, connected.stderr);
  assert.match(connected.stdout, /connected: Kopia repository server https:\/\/127\.0\.0\.1:\d+ "vault" as immich@immich-kopia/);
  assert.doesNotMatch(connected.stdout + connected.stderr, new RegExp(vaultUserPassword));

  receiver.requests.length = 0;
  const run = await backup();
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.report.offsite, true);
  assert.equal(run.report.repository?.storage, 'server');
  const inVault = await vaultSnapshots();
  for (const key of ['backups', 'library'] as const) {
    const snapshot = inVault.find((s) => s.id === run.report.snapshots[key]?.id);
    assert.ok(snapshot, `the ${key} snapshot is in the vault`);
    assert.equal(`${snapshot.source.userName}@${snapshot.source.host}`, vaultUser);
  }
  const message = await notification((r) => r.exitCode === 0);
  assert.match(message.message, /^Offsite: yes, Kopia repository server https:\/\/127\.0\.0\.1:\d+ "vault"/m);
  assert.match(await metrics(), /^immich_backup_offsite 1$/m);
  const status = await (await fetch(`${healthUrl}/status`)).json() as { offsite: boolean; repository: { storage: string } };
  assert.equal(status.offsite, true);
  assert.equal(status.repository.storage, 'server');
});

test('vault offline when a run starts: exit 2, the notification names the vault, /healthz 503; the local repository is never used; a server still connecting is waited for', async () => {
  const localBefore = defaultRepositoryFiles();
  await vault.stop();
  await stack.restart(); // as after a reboot: it keeps trying to open the vault
  receiver.requests.length = 0;
  const failed = await backup();
  assert.equal(failed.code, 2, failed.stderr);
  assert.equal(failed.report.offsite, false);
  assert.match(failed.report.error ?? '', /^kopia-repository: the Kopia server has not opened its repository after waiting 4 s/);
  const message = await notification((run) => run.exitCode === 2);
  assert.match(message.message, new RegExp(`expected Kopia repository server ${vault.url.replace(/[.]/g, '\\.')}`));
  assert.match(message.message, /^Offsite: NO/m);
  const health = await fetch(`${healthUrl}/healthz`);
  assert.equal(health.status, 503);
  assert.match(await health.text(), /kopia-repository/);
  assert.match(await metrics(), /^immich_backup_offsite 0$/m);
  const client = new KopiaClient(stack.connection());
  try {
    assert.equal((await client.status()).connected, false, 'nothing connected the server elsewhere');
  } finally {
    await client.close();
  }

  // The next run starts while the server is still connecting (the vault comes back meanwhile): it waits and succeeds.
  const next = backup({ KOPIA_CONNECT_TIMEOUT: '3m' });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await vault.restart();
  const recovered = await next;
  assert.equal(recovered.code, 0, recovered.stderr);
  assert.equal(recovered.report.offsite, true);
  assert.equal(recovered.report.repository?.storage, 'server');
  const ids = new Set((await vaultSnapshots()).map((s) => s.id));
  assert.ok(ids.has(recovered.report.snapshots.library!.id), 'the snapshot is in the vault');
  assert.deepEqual(defaultRepositoryFiles(), localBefore, 'the default local repository was not touched');
  assert.equal((await fetch(`${healthUrl}/healthz`)).status, 200);
});

test('wrong repository password: a failure naming what the server reports, never a silent switch', async () => {
  const localBefore = defaultRepositoryFiles();
  await stack.restart({ env: { KOPIA_PASSWORD: 'not-the-vault-password' } });
  try {
    const failed = await backup();
    assert.equal(failed.code, 2, failed.stderr);
    assert.match(failed.report.error ?? '', /kopia-repository: .*expected Kopia repository server/);
    assert.match(failed.report.error ?? '', /it reports: .*(password|access denied|invalid)/i);
    assert.equal(failed.report.repository, null);
    assert.deepEqual(defaultRepositoryFiles(), localBefore);
    assert.equal((await fetch(`${healthUrl}/healthz`)).status, 503);
  } finally {
    await stack.restart({ env: { KOPIA_PASSWORD: vaultUserPassword } });
  }
  const recovered = await backup({ KOPIA_CONNECT_TIMEOUT: '2m' });
  assert.equal(recovered.code, 0, recovered.stderr);
  assert.equal(recovered.report.offsite, true);
});

test('disaster recovery from the vault alone: a new host connects to the vault, restores the backups, the database and the library', async () => {
  // The newest backup in the vault, and the state of the originals it holds.
  const last = await backup();
  assert.equal(last.code, 0, last.stderr);
  const original = await postgres.connect('immich');
  const [originalSchema, originalData] = await Promise.all([describeSchema(original), describeData(original)]);
  await original.end();

  // A fresh host: a new stack Kopia server (no repository), an empty backups folder, an empty upload location.
  const host = join(work, 'new-host');
  const newBackups = join(host, 'backups');
  const newLibrary = join(host, 'upload-location');
  mkdirSync(newBackups, { recursive: true });
  const newStack = await startKopiaServer({
    withRepository: false,
    asyncRepoConnect: true,
    env: { KOPIA_PASSWORD: vaultUserPassword, KOPIA_PERSIST_CREDENTIALS_ON_CONNECT: 'false' },
  });
  try {
    const newEnv: Env = { ...env, ...newStack.env(), BACKUP_DIR: newBackups, ...postgres.env('immich_restored') };
    // A wrong fingerprint: refused by the stack's Kopia server, said clearly, nothing remembered.
    const wrong = await runCli(
      ['kopia', 'connect', '--url', vault.url, '--fingerprint', 'ab'.repeat(32), '--username', vaultUser, '--password-file', passwordFile],
      newEnv,
    );
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /connect/i);
    assert.doesNotMatch(wrong.stderr, new RegExp(vaultUserPassword));
    assert.equal(existsSync(join(newBackups, '.immich-backup-state.json')), false);
    const connected = await runCli(
      ['kopia', 'connect', '--url', vault.url, '--fingerprint', vault.fingerprint, '--username', vaultUser, '--password-file', passwordFile],
      newEnv,
    );
    assert.equal(connected.code, 0, connected.stderr);

    // 1. The backups snapshot, copied by the sidecar itself: its own files, readable for restore-db.
    const restoredBackups = join(newBackups, 'restored');
    const backups = await runCli(['restore-library', '--source', 'backups', '--target', restoredBackups], newEnv);
    assert.equal(backups.code, 0, backups.stderr);
    const runFolder = readdirSync(restoredBackups).filter((name) => /^immich-\d{8}_\d{6}(-\d+)?$/.test(name)).sort().at(-1)!;
    const dump = join(restoredBackups, runFolder, 'dump.sql.gz');
    assert.equal(statSync(dump).uid, process.getuid!(), 'the restored dump belongs to the sidecar');
    assert.equal(statSync(dump).mode & 0o777, 0o600);

    // 2. The database from that dump (checked against its manifest's sha256).
    await postgres.createDatabase('immich_restored');
    const restoredDb = await runCli(['restore-db', '--input', dump], newEnv);
    assert.equal(restoredDb.code, 0, restoredDb.stderr);
    const restored = await postgres.connect('immich_restored');
    try {
      assert.deepEqual(await describeSchema(restored), originalSchema);
      assert.deepEqual(await describeData(restored), originalData);
    } finally {
      await restored.end();
    }

    // 3. The library, by the snapshot id in the notification (manifest id), where Immich reads it.
    const libraryId = last.report.snapshots.library!.id;
    const whole = await runCli(['restore-library', '--snapshot', libraryId, '--target', newLibrary], newEnv);
    assert.equal(whole.code, 0, whole.stderr);
    assert.deepEqual(hashTree(newLibrary), hashTree(library));
    const photo = statSync(join(newLibrary, 'library/admin/2026/IMG_0.jpg'));
    assert.deepEqual([photo.uid, photo.gid, photo.mode & 0o777], [1000, 1000, 0o640], "the owner and mode Immich's file had");
    assert.equal(statSync(join(newLibrary, 'library/admin')).uid, 1000);

    // One user's folder by the id `kopia snapshot list` prints (the root object id).
    const listed = await vault.cli(['snapshot', 'list', '--all', '--json']);
    const rootId = (JSON.parse(listed.stdout) as { id: string; rootEntry: { obj: string } }[]).find((s) => s.id === libraryId)!.rootEntry.obj;
    const listedText = await vault.cli(['snapshot', 'list', '--all']);
    assert.ok(listedText.stdout.includes(rootId), 'kopia snapshot list prints the root object id');
    const oneUser = join(host, 'one-user');
    const user = await runCli(['restore-library', '--snapshot', rootId, '--path', 'library/admin', '--target', oneUser], newEnv);
    assert.equal(user.code, 0, user.stderr);
    assert.deepEqual(hashTree(oneUser), hashTree(join(library, 'library/admin')));
  } finally {
    await newStack.destroy();
  }
});

test('connected to another repository behind the sidecar\'s back: the run fails naming both; kopia accept makes it the one', async () => {
  // What a user's own `kopia repository connect` would do: the stack's server now writes to a local repository.
  const client = new KopiaClient(stack.connection(), { pollIntervalMs: 200 });
  try {
    await client.disconnect();
    await client.createFilesystemRepositoryIfMissing(join(work, 'another-repository'), 'another-password');
  } finally {
    await client.close();
  }
  const refused = await backup();
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.report.error ?? '', /^kopia-repository: the Kopia server is connected to a different repository: expected Kopia repository server https:\/\/127\.0\.0\.1:\d+ "vault".*, the server reports local filesystem repository/);
  assert.deepEqual(refused.report.snapshots, {}, 'nothing was snapshotted into it');
  const status = await runCli(['kopia', 'status'], env);
  assert.equal(status.code, 2);
  assert.match(status.stdout, /^connected: local filesystem repository/m);
  assert.match(status.stdout, /^the sidecar backs up to: Kopia repository server/m);

  const accepted = await runCli(['kopia', 'accept'], env);
  assert.equal(accepted.code, 0, accepted.stderr);
  const run = await backup();
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.report.offsite, false);
  assert.equal(run.report.repository?.storage, 'filesystem');
});

test('restore-library --chown is refused before anything is restored when it cannot work here', async () => {
  const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  const place = mkdtempSync(join(tmpdir(), 'immich-backup-chown-'));
  chmodSync(place, 0o755);
  const readOnly = join(place, 'read-only');
  const own = join(place, 'own');
  mkdirSync(readOnly, { mode: 0o755 });
  mkdirSync(own, { mode: 0o755 });
  chownSync(own, 65534, 65534);
  try {
    // As the sidecar runs (not root): a folder it cannot write, then a folder of its own but another owner.
    const asSidecar = (target: string) =>
      runNodeUnprivileged([cli, 'restore-library', '--chown', '1000:1000', '--target', target], { env: stack.env(), folders: [place] });
    const notWritable = await asSidecar(join(readOnly, 'library'));
    assert.equal(notWritable.code, 1, notWritable.stderr);
    assert.match(notWritable.stderr, /--chown: .* is not writable from here .*nothing was restored.*compose\.restore\.yml/);
    const notRoot = await asSidecar(join(own, 'library'));
    assert.equal(notRoot.code, 1, notRoot.stderr);
    assert.match(notRoot.stderr, /only root may give files to another user \(this runs as uid 65534\): nothing was restored/);
    assert.deepEqual(readdirSync(own), [], 'nothing was written');
  } finally {
    rmSync(place, { recursive: true, force: true });
  }
});

test('state file lost and the server disconnected: the manifests still name the repository; nothing is created in its place', async () => {
  rmSync(join(backupDir, '.immich-backup-state.json'));
  const localBefore = defaultRepositoryFiles();
  const client = new KopiaClient(stack.connection());
  try {
    await client.disconnect();
  } finally {
    await client.close();
  }
  const failed = await backup();
  assert.equal(failed.code, 2, failed.stderr);
  assert.match(failed.report.error ?? '', /^kopia-repository: the Kopia server is not connected to any repository, but this sidecar backs up to local filesystem repository/);
  assert.deepEqual(defaultRepositoryFiles(), localBefore, 'no default repository was created or connected');
  const after = new KopiaClient(stack.connection());
  try {
    assert.equal((await after.status()).connected, false);
  } finally {
    await after.close();
  }
});
