import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../../src/config.ts';
import type { KopiaConnection } from '../../src/kopia/config.ts';
import { Agent, request } from 'undici';
import { runCommand } from './postgres.ts';

const insecureAgent = new Agent({ connect: { rejectUnauthorized: false } });

/**
 * A real `kopia server` (the kopia binary on PATH) over TLS with a generated certificate, serving
 * a filesystem repository in a temp folder, for tests. The repository connection's user and host
 * are fixed, so every local path the server snapshots is a "local" source.
 */
export interface KopiaServer {
  directory: string;
  url: string;
  username: string;
  password: string;
  fingerprint: string;
  connection(): KopiaConnection;
  /** KOPIA_SERVER_* variables for the CLI or the sidecar. */
  env(): Env;
  /** Stops the process (SIGKILL with `kill: true`), keeping the repository for a restart. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts the same server again on the same port and certificate (with other environment variables, if given). */
  restart(options?: { env?: Record<string, string> }): Promise<void>;
  /** Runs the kopia CLI on this server's repository configuration (e.g. `server user add`). */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Makes the server re-read its repository (users added with the CLI take effect). */
  refresh(): Promise<void>;
  /** Stops the server and removes everything it wrote. */
  destroy(): Promise<void>;
}

const repositoryPassword = 'test-repository-password';

export interface KopiaServerOptions {
  /** A filesystem repository is created first (default); without, the server starts not connected. */
  withRepository?: boolean;
  /** Opens the repository in the background, retrying forever, as compose.sidecar.yml's server does. */
  asyncRepoConnect?: boolean;
  /** Environment of the server process (e.g. KOPIA_PASSWORD, KOPIA_PERSIST_CREDENTIALS_ON_CONNECT as in the kopia image). */
  env?: Record<string, string>;
}

export async function startKopiaServer(options: KopiaServerOptions = {}): Promise<KopiaServer> {
  const directory = mkdtempSync(join(tmpdir(), 'immich-backup-kopia-'));
  const configFile = join(directory, 'repository.config');
  const common = ['--config-file', configFile, '--log-dir', join(directory, 'logs'), '--no-check-for-updates'];
  if (options.withRepository ?? true) {
    const created = await runCommand('kopia', [
      'repository', 'create', 'filesystem', '--path', join(directory, 'repo'), '--password', repositoryPassword,
      '--cache-directory', join(directory, 'cache'), '--override-hostname', 'testhost', '--override-username', 'tester', ...common,
    ], undefined, { env: { ...process.env, KOPIA_PASSWORD: repositoryPassword } });
    if (created.code !== 0) throw new Error(`kopia repository create failed: ${created.stderr}`);
  }
  const username = 'kopia';
  const password = 'test-ui-password';
  const certFile = join(directory, 'server.cert');
  const keyFile = join(directory, 'server.key');
  let address = '127.0.0.1:0';
  let child: ChildProcess | undefined;
  let serverEnv: Record<string, string> = { KOPIA_PASSWORD: repositoryPassword, ...options.env };
  const controlPassword = 'test-control-password';

  const start = async (firstStart: boolean): Promise<string> => {
    const args = [
      'server', 'start', ...common, '--address', address,
      '--tls-cert-file', certFile, '--tls-key-file', keyFile,
      ...(firstStart ? ['--tls-generate-cert', '--tls-generate-rsa-key-size', '2048'] : []),
      '--server-username', username, '--server-password', password,
      '--server-control-password', controlPassword, '--shutdown-grace-period', '1s',
      ...(options.asyncRepoConnect === true ? ['--async-repo-connect'] : []),
    ];
    child = spawn('kopia', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...serverEnv } });
    return new Promise<string>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`kopia server did not start in 60 s:\n${stderr}`)), 60_000);
      child!.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /SERVER ADDRESS: (https?:\/\/\S+)/.exec(stderr);
        if (match !== null) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`kopia server exited with ${code}:\n${stderr}`));
      });
    });
  };

  const url = await start(true);
  address = new URL(url).host;
  const fingerprint = createHash('sha256').update(new X509Certificate(readFileSync(certFile)).raw).digest('hex');

  const stop = async (stopOptions: { kill?: boolean } = {}) => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(stopOptions.kill === true ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  return {
    directory,
    url,
    username,
    password,
    fingerprint,
    connection: () => ({ url, username, password, fingerprint }),
    env: () => ({
      KOPIA_SERVER_URL: url,
      KOPIA_SERVER_USERNAME: username,
      KOPIA_SERVER_PASSWORD: password,
      KOPIA_SERVER_CERT_FINGERPRINT: fingerprint,
    }),
    stop,
    restart: async (restartOptions = {}) => {
      await stop();
      if (restartOptions.env !== undefined) serverEnv = { ...serverEnv, ...restartOptions.env };
      await start(false);
    },
    cli: (args) => runCommand('kopia', [...args, '--config-file', configFile, '--log-dir', join(directory, 'logs')], undefined, { env: { ...process.env, ...serverEnv } }),
    refresh: async () => {
      const response = await request(`${url}/api/v1/control/refresh`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`server-control:${controlPassword}`).toString('base64')}` },
        // The test's own request to its own server: the certificate is pinned by the client under test, not here.
        dispatcher: insecureAgent,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`kopia refresh failed: ${response.statusCode} ${text}`);
    },
    destroy: async () => {
      await stop({ kill: true });
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
