import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { runCommand, type CommandOutput } from '../support/postgres.ts';

/**
 * README "Install", performed as written: in an Immich-shaped folder (Immich's docker-compose.yml
 * layout and .env, `database` = postgres:15, a stand-in `immich-server`) with this repository
 * in `immich-backup/`, the README's install block runs as one shell script, then each line of its
 * check block, in the local Docker engine with `docker compose`. Nothing is pulled.
 */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const standIn = fileURLToPath(new URL('./stand-in/', import.meta.url));
const fixture = fileURLToPath(new URL('../sidecar/fixtures/immich-like.sql', import.meta.url));

/** The fenced `sh` blocks of the README's "## Install" section, in order. */
function installBlocks(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Install');
  assert.ok(start >= 0, 'README has an "## Install" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

let stack: string;

/** A program in the stack's folder, as the user runs it there (never through a shell). */
function inStack(program: string, args: string[], input?: string | Buffer | NodeJS.ReadableStream): Promise<CommandOutput> {
  return runCommand(program, args, input, { cwd: stack });
}

/** What the user types, as they type it (the README's own lines). */
function asTyped(script: string): Promise<CommandOutput> {
  return runCommand('sh', ['-e', '-c', script], undefined, { cwd: stack });
}

/**
 * One line the user types at a terminal: `docker compose exec` wants one (without `-T` it refuses
 * a pipe), so util-linux `script` gives the line a pseudo-terminal. Its output comes back in stdout.
 */
async function atTerminal(line: string): Promise<CommandOutput> {
  const result = await runCommand('script', ['-q', '-e', '-c', line, '/dev/null'], undefined, { cwd: stack, env: { ...process.env, TERM: 'dumb' } });
  // The terminal echoes the end of our (empty) input as ^@ or ^D: not part of the program's output.
  return { ...result, stdout: result.stdout.replaceAll('\r\n', '\n').replace(/\^[@D]\x08*/g, '') };
}

async function compose(args: string[], input?: string | Buffer | NodeJS.ReadableStream): Promise<CommandOutput> {
  return inStack('docker', ['compose', ...args], input);
}

function containerId(service: string): Promise<string> {
  return compose(['ps', '-q', service]).then((result) => result.stdout.trim());
}

/** Files a clone of this repository would have (tracked and new, not ignored): no node_modules, no dist. */
async function cloneInto(target: string): Promise<void> {
  const listing = await runCommand('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], undefined, { cwd: repoRoot });
  assert.equal(listing.code, 0, listing.stderr);
  for (const file of listing.stdout.split('\0').filter((name) => name !== '')) {
    let source: ReturnType<typeof statSync>;
    try {
      source = statSync(join(repoRoot, file));
    } catch {
      continue; // deleted in the working tree
    }
    if (!source.isFile()) continue;
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(target, file));
  }
}

before(async () => {
  // A fresh folder name is a fresh compose project: its containers, network and volumes are its own.
  stack = mkdtempSync(join(tmpdir(), 'immich-app-'));
  // Immich's folder, as its install guide leaves it: docker-compose.yml and .env (example.env's values).
  copyFileSync(join(standIn, 'docker-compose.yml'), join(stack, 'docker-compose.yml'));
  mkdirSync(join(stack, 'stand-in'));
  copyFileSync(join(standIn, 'immich-server.mjs'), join(stack, 'stand-in', 'immich-server.mjs'));
  writeFileSync(
    join(stack, '.env'),
    [
      'UPLOAD_LOCATION=./library',
      'DB_DATA_LOCATION=./postgres',
      'TZ=Europe/Berlin',
      'IMMICH_VERSION=v3',
      'DB_PASSWORD=postgres',
      'DB_USERNAME=postgres',
      'DB_DATABASE_NAME=immich',
    ].join('\n'), // no newline at the end, as editors often leave it
  );
  // Immich is running, with a database, before the sidecar is installed.
  const up = await compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  const deadline = Date.now() + 60_000;
  while ((await compose(['exec', '-T', 'database', 'pg_isready', '-U', 'postgres', '-d', 'immich'])).code !== 0) {
    assert.ok(Date.now() < deadline, 'the stand-in database did not start');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const load = await compose(['exec', '-T', 'database', 'psql', '-X', '-q', '-U', 'postgres', '-d', 'immich', '-v', 'ON_ERROR_STOP=1'], readFileSync(fixture));
  assert.equal(load.code, 0, load.stderr);
  await cloneInto(join(stack, 'immich-backup'));
  // A machine that never built the sidecar: the install builds it from these sources (compose v1
  // would otherwise reuse an image of that name from an earlier run; v2 rebuilds, pull_policy: build).
  await runCommand('docker', ['image', 'rm', 'immich-backup:local']);
});

after(async () => {
  if (stack === undefined) return;
  // COMPOSE_FILE (from the install) makes this take the sidecar's services and volumes down too.
  await compose(['down', '-v', '-t', '2']);
});

test("the README's install block, as written, starts the sidecar and Kopia next to Immich", async () => {
  const [install] = installBlocks();
  assert.ok(install, 'README has an install block');
  const serverBefore = await containerId('immich-server');
  const result = await asTyped(install);
  assert.equal(result.code, 0, `install block failed:\n${result.stdout}\n${result.stderr}`);

  // Secrets: their own file, private, read by the sidecar and Kopia only.
  const secrets = readFileSync(join(stack, 'immich-backup.env'), 'utf8');
  assert.match(secrets, /^KOPIA_SERVER_PASSWORD=[A-Za-z0-9]{32}$/m);
  assert.match(secrets, /^KOPIA_PASSWORD=[A-Za-z0-9]{32}$/m);
  assert.equal(statSync(join(stack, 'immich-backup.env')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(stack, '.env'), 'utf8'), /\nDB_DATABASE_NAME=immich\nCOMPOSE_FILE=docker-compose.yml:compose.sidecar.yml\n$/);

  // Plain `docker compose` now includes the sidecar's services (COMPOSE_FILE).
  const services = await compose(['ps', '--services']);
  assert.deepEqual(services.stdout.trim().split('\n').sort(), ['database', 'immich-backup', 'immich-server', 'kopia']);
  const serverEnv = await compose(['exec', '-T', 'immich-server', 'env']);
  assert.equal(serverEnv.code, 0, serverEnv.stderr);
  assert.doesNotMatch(serverEnv.stdout, /KOPIA/, "Kopia's secrets stay out of immich-server");
  assert.ok(serverBefore !== '');
});

test("the README's check commands, line by line: a backup, healthy, status", async () => {
  const [, check] = installBlocks();
  assert.ok(check, 'README has a block of check commands');
  const lines = check.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  assert.equal(lines.length, 3);
  const [backupLine, healthLine, statusLine] = lines as [string, string, string];

  const backup = await atTerminal(backupLine);
  assert.equal(backup.code, 0, `${backupLine}\n${backup.stdout}\n${backup.stderr}`);
  assert.match(backup.stdout, /^OK: run immich-\d{8}_\d{6}/m);

  const health = await atTerminal(healthLine);
  assert.equal(health.code, 0, `${healthLine}\n${health.stdout}\n${health.stderr}`);
  assert.match(health.stdout, /^ok: last good backup immich-\d{8}_\d{6} is \d+ s old/);

  const status = await atTerminal(statusLine);
  assert.equal(status.code, 0, `${statusLine}\n${status.stdout}\n${status.stderr}`);
  assert.match(status.stdout, /^HEALTHY: /);
  for (const check of ['backups-folder', 'library', 'config-files', 'kopia']) {
    assert.match(status.stdout, new RegExp(`^check ${check}\\s+ok `, 'm'));
  }
  // Times in the schedule's zone (TZ=Europe/Berlin in Immich's .env), with the offset.
  assert.match(status.stdout, /^next run: \d{4}-\d{2}-\d{2} 02:00:00 \+0[12]:00 /m);
});

test('editing immich-backup.env recreates the sidecar only, never immich-server', async () => {
  const server = await containerId('immich-server');
  const sidecar = await containerId('immich-backup');
  appendFileSync(join(stack, 'immich-backup.env'), 'NOTIFY_ON_SUCCESS=false\n');
  const up = await compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(await containerId('immich-server'), server, 'immich-server was not recreated');
  assert.notEqual(await containerId('immich-backup'), sidecar, 'the sidecar picked up its new settings');
  const env = await compose(['exec', '-T', 'immich-backup', 'env']);
  assert.match(env.stdout, /^NOTIFY_ON_SUCCESS=false$/m);
});
