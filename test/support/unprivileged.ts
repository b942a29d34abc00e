import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { CommandOutput } from './postgres.ts';

/**
 * Runs `node <args>` as uid/gid 65534 (nobody:nogroup), the way a sidecar with `user:` set runs,
 * for tests of what an unprivileged user may not do (root reads and writes everywhere).
 *
 * It runs in a container of the image the sidecar's own image is built from, not as a child
 * process with another uid: a child process as 65534 can only import this checkout's sources when
 * every parent folder of the checkout is open to "others", which a fresh clone in CI or a home
 * folder (0700/0750) does not promise. In the container the checkout is mounted read-only at the
 * same path and each of the test's folders read-write at the same path, so every path means the
 * same inside and outside and the folders' own owners and modes are the ones under test. The host
 * network lets the code reach servers the test started on loopback.
 */
const image = 'node:24-bookworm-slim';
const checkout = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

export interface UnprivilegedOptions {
  /** Folders the code works in, mounted read-write at the same path. */
  folders?: string[];
  /** The whole environment of the process (the image's PATH stays unless given). */
  env?: Record<string, string | undefined>;
  /** The container is removed and the run fails after this long (default 60 s). */
  timeoutMs?: number;
}

export function runNodeUnprivileged(args: string[], options: UnprivilegedOptions = {}): Promise<CommandOutput> {
  const name = `immich-backup-unprivileged-${randomUUID()}`;
  const environment = Object.entries(options.env ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const dockerArgs = [
    'run', '--rm', '--pull', 'never', '--name', name,
    '--user', '65534:65534', '--network', 'host',
    '--volume', `${checkout}:${checkout}:ro`,
    ...(options.folders ?? []).flatMap((folder) => ['--volume', `${folder}:${folder}:rw`]),
    // Names only: the values reach the container from the docker CLI's own environment, so no
    // password shows in the process list.
    ...environment.flatMap(([key]) => ['--env', key]),
    '--workdir', checkout,
    image, 'node', ...args,
  ];
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn('docker', dockerArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...Object.fromEntries(environment) },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // Killing the docker CLI would leave the container running: remove the container itself.
      spawn('docker', ['rm', '--force', name], { stdio: 'ignore' }).on('error', () => {});
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const output = { code: code ?? 1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
      if (timedOut) reject(new Error(`node ${args.join(' ')} as 65534:65534 did not finish within ${timeoutMs} ms:\n${output.stderr}`));
      else resolve(output);
    });
  });
}
