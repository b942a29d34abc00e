import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { Wait, type StartedTestContainer } from 'testcontainers';
import { localContainer } from '../support/containers.ts';
import { runCommand } from '../support/postgres.ts';

/**
 * The start-up checks as a user meets them: the program runs in a container as a user that owns
 * none of the mounted folders (as the image's `node` user does on a typical host), and each broken
 * mount is reported with what is wrong, how to fix it, and unhealthy status. The sources run
 * straight from this repository in the image the sidecar is built on (no image build needed).
 */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const image = 'node:24-bookworm-slim';
/** Not the test runner's uid (root here, often 1000 on a laptop): it owns nothing mounted. */
const containerUser = '4321:4321';

interface Layout {
  backups: string;
  library: string;
  config: string;
}

/** A layout where everything is in order for `containerUser`. */
function goodLayout(): Layout {
  const root = mkdtempSync(join(tmpdir(), 'startup-checks-'));
  const layout = { backups: join(root, 'backups'), library: join(root, 'library'), config: join(root, 'config') };
  mkdirSync(layout.backups);
  chmodSync(layout.backups, 0o777);
  for (const folder of ['library', 'upload', 'profile']) {
    mkdirSync(join(layout.library, folder), { recursive: true });
    writeFileSync(join(layout.library, folder, '.immich'), '1\n');
  }
  mkdirSync(layout.config);
  writeFileSync(join(layout.config, 'docker-compose.yml'), 'services: {}\n', { mode: 0o644 });
  writeFileSync(join(layout.config, '.env'), 'DB_PASSWORD=x\n', { mode: 0o644 });
  chmodSync(join(layout.config, '.env'), 0o644);
  return layout;
}

const baseEnv = { DB_PASSWORD: 'not-used', KOPIA_ENABLED: 'false', TZ: 'Europe/Berlin' };

function dockerArgs(layout: Layout, env: Record<string, string>): string[] {
  return [
    '--user', containerUser,
    '-v', `${repoRoot}:/app:ro`,
    '-v', `${layout.backups}:/backups`,
    '-v', `${layout.library}:/library:ro`,
    '-v', `${layout.config}:/config:ro`,
    ...Object.entries({ ...baseEnv, ...env }).flatMap(([name, value]) => ['-e', `${name}=${value}`]),
  ];
}

/** `immich-backup <args>` in a throw-away container, as `containerUser`. */
async function cli(layout: Layout, args: string[], env: Record<string, string> = {}) {
  return runCommand('docker', ['run', '--rm', ...dockerArgs(layout, env), image, 'node', '/app/src/cli.ts', ...args]);
}

interface StatusJson {
  healthy: boolean;
  reason: string;
  checks: { name: string; ok: boolean; message: string }[];
}

async function status(layout: Layout, env: Record<string, string> = {}) {
  const result = await cli(layout, ['status', '--json'], env);
  assert.ok(result.stdout.startsWith('{'), `status --json printed: ${result.stdout}\n${result.stderr}`);
  return { code: result.code, status: JSON.parse(result.stdout) as StatusJson, stderr: result.stderr };
}

function check(status: StatusJson, name: string) {
  const found = status.checks.find((item) => item.name === name);
  assert.ok(found, `no ${name} check in ${JSON.stringify(status.checks)}`);
  return found;
}

test('all in order: every check passes and status is healthy (no backup yet is not an error for the checks)', async () => {
  const { status: result } = await status(goodLayout());
  assert.deepEqual(
    result.checks.map((item) => [item.name, item.ok]),
    [['backups-folder', true], ['library', true], ['config-files', true]],
  );
});

test('backups folder not writable: the owner, our user and the chown that fixes it; backup exits 1 before dumping; status unhealthy', async () => {
  const layout = goodLayout();
  chmodSync(layout.backups, 0o755);
  const { code, status: result } = await status(layout);
  assert.equal(code, 1);
  assert.equal(result.healthy, false);
  const backups = check(result, 'backups-folder');
  assert.equal(backups.ok, false);
  assert.match(backups.message, /^the backups folder `\/backups` is owned by \d+:\d+ \(mode 0755\) and this container runs as 4321:4321: on the host, `chown 4321:4321 <the folder mounted at \/backups>`, or run the container as that folder's owner \(`user:`/);
  assert.match(result.reason, /^start-up check failed: backups-folder: the backups folder `\/backups` is owned by/);

  const backup = await cli(layout, ['backup']);
  assert.equal(backup.code, 1);
  assert.match(backup.stderr, /immich-backup backup: the backups folder `\/backups` is owned by \d+:\d+ \(mode 0755\) and this container runs as 4321:4321: on the host, `chown 4321:4321/);
  assert.doesNotMatch(backup.stderr, /EACCES.*lock/, 'not the bare error of the lock file');
});

test('library folder not readable: named as unreadable (not as "no .immich marker"), with the fix; status unhealthy', async () => {
  const layout = goodLayout();
  chmodSync(join(layout.library, 'library'), 0o700);
  const { code, status: result } = await status(layout);
  assert.equal(code, 1);
  const library = check(result, 'library');
  assert.equal(library.ok, false);
  assert.match(library.message, /^the library folder `\/library\/library` is owned by \d+:\d+ \(mode 0700\) and this container runs as 4321:4321: make it readable for 4321:4321 .*setfacl/);
  assert.match(result.reason, /library: the library folder `\/library\/library`/);

  const missing = goodLayout();
  const { status: unmounted } = await status(missing, { LIBRARY_PATH: '/nowhere' });
  assert.match(check(unmounted, 'library').message, /^the photo library `\/nowhere` does not exist in the container: mount Immich's UPLOAD_LOCATION there/);
});

test('config file not readable (.env at 0600): fails the check with a fix that keeps it private, unless CONFIG_FILES_OPTIONAL lists it', async () => {
  const layout = goodLayout();
  chmodSync(join(layout.config, '.env'), 0o600);
  const { code, status: result } = await status(layout);
  assert.equal(code, 1);
  const config = check(result, 'config-files');
  assert.equal(config.ok, false);
  assert.match(
    config.message,
    /^the config file `\/config\/\.env` is owned by \d+:\d+ \(mode 0600\) and this container runs as 4321:4321: it is part of the backup: let 4321:4321 read it, keeping it private \(on the host: `sudo chgrp 4321 <file> && sudo chmod 0640 <file>`\), or list it in CONFIG_FILES_OPTIONAL/,
  );
  assert.match(result.reason, /config-files: the config file `\/config\/\.env`/);

  const { status: optional } = await status(layout, { CONFIG_FILES_OPTIONAL: '/config/.env' });
  assert.equal(check(optional, 'config-files').ok, true);
  const { status: absent } = await status(layout, { CONFIG_FILES: '/config/docker-compose.yml,/config/immich.env' });
  assert.match(check(absent, 'config-files').message, /^the config file `\/config\/immich\.env` does not exist in the container: mount it/);
});

test('Kopia not reachable: the URL, the cause and where to look; status unhealthy', async () => {
  const { code, status: result } = await status(goodLayout(), {
    KOPIA_ENABLED: 'true',
    KOPIA_SERVER_URL: 'http://127.0.0.1:9',
    KOPIA_SERVER_PASSWORD: 'kopia-password-not-printed',
  });
  assert.equal(code, 1);
  const kopia = check(result, 'kopia');
  assert.equal(kopia.ok, false);
  assert.match(kopia.message, /^the Kopia server at http:\/\/127\.0\.0\.1:9 cannot be used: .*not reachable \(ECONNREFUSED\); is the kopia service running\? \(`docker compose ps kopia`/);
  assert.doesNotMatch(JSON.stringify(result), /kopia-password-not-printed/);
});

let service: StartedTestContainer | undefined;
after(async () => {
  await service?.stop();
});

test('serve: failed checks make /healthz 503 with each message, and `immich-backup healthcheck` exits 1 with it', async () => {
  const layout = goodLayout();
  chmodSync(layout.backups, 0o755);
  chmodSync(join(layout.config, '.env'), 0o600);
  service = await localContainer(image)
    .withUser(containerUser)
    .withBindMounts([
      { source: repoRoot, target: '/app', mode: 'ro' },
      { source: layout.backups, target: '/backups', mode: 'rw' },
      { source: layout.library, target: '/library', mode: 'ro' },
      { source: layout.config, target: '/config', mode: 'ro' },
    ])
    .withEnvironment(baseEnv)
    .withCommand(['node', '/app/src/cli.ts', 'serve'])
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forLogMessage(/backup scheduled/))
    .start();
  const health = await fetch(`http://${service.getHost()}:${service.getMappedPort(8080)}/healthz`);
  assert.equal(health.status, 503);
  const text = await health.text();
  assert.match(text, /^unhealthy: start-up check failed: backups-folder: the backups folder `\/backups` is owned by .*; config-files: the config file `\/config\/\.env` is owned by/);
  const metrics = await (await fetch(`http://${service.getHost()}:${service.getMappedPort(8080)}/metrics`)).text();
  assert.match(metrics, /^immich_backup_startup_check_ok\{check="backups-folder"\} 0$/m);
  assert.match(metrics, /^immich_backup_startup_check_ok\{check="library"\} 1$/m);
  assert.match(metrics, /^immich_backup_startup_check_ok\{check="config-files"\} 0$/m);
  const probe = await service.exec(['node', '/app/src/cli.ts', 'healthcheck']);
  assert.equal(probe.exitCode, 1);
  assert.equal(probe.output.trim(), text.trim());

  // Fixed on the host: the service notices on its own (it re-checks every 15 s while a check fails).
  chmodSync(layout.backups, 0o777);
  chmodSync(join(layout.config, '.env'), 0o644);
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const again = await service.exec(['node', '/app/src/cli.ts', 'healthcheck']);
    last = again.output.trim();
    if (again.exitCode === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  assert.match(last, /^ok: no backup yet; waiting for the first run/);
});

