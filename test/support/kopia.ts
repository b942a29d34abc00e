import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env, KopiaConnection } from '../../src/config.ts';
import { Wait, type StartedTestContainer } from 'testcontainers';
import { localContainer } from './containers.ts';
import { Agent, request } from 'undici';

const insecureAgent = new Agent({ connect: { rejectUnauthorized: false } });

/**
 * A real `kopia server` over TLS with a generated certificate, serving a filesystem repository in a
 * temp folder, for tests. It runs from the kopia/kopia image (testcontainers, no kopia binary needed
 * on this machine) on the host's network, with the temp folder (where the tests keep the
 * repositories and the folders they snapshot and restore) mounted at the same path, so every path
 * means the same inside and outside. The repository connection's user and host are fixed, so every
 * local path the server snapshots is a "local" source.
 */
const image = 'kopia/kopia:0.23.1';
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
  /**
   * The server's root may not read what its file modes deny (it runs without CAP_DAC_OVERRIDE and
   * CAP_DAC_READ_SEARCH): a file at mode 000 is unreadable to it, as to a non-root kopia service.
   */
  obeyFileModes?: boolean;
  /** The server may not change files' owners (no CAP_CHOWN), as a kopia service not run as root. */
  cannotChown?: boolean;
}

export async function startKopiaServer(options: KopiaServerOptions = {}): Promise<KopiaServer> {
  const shared = tmpdir();
  const directory = mkdtempSync(join(shared, 'immich-backup-kopia-'));
  const configFile = join(directory, 'repository.config');
  const common = ['--config-file', configFile, '--log-dir', join(directory, 'logs')];
  let serverEnv: Record<string, string> = { KOPIA_PASSWORD: repositoryPassword, ...options.env };
  const container = (command: string[]) =>
    localContainer(image)
      .withCommand(command)
      .withEnvironment(serverEnv)
      .withNetworkMode('host')
      .withBindMounts([{ source: shared, target: shared, mode: 'rw' }])
      .withDroppedCapabilities(...(options.obeyFileModes === true ? ['DAC_OVERRIDE', 'DAC_READ_SEARCH'] : []), ...(options.cannotChown === true ? ['CHOWN'] : []))
      .withStartupTimeout(120_000);
  /** The kopia CLI in a container of its own, when no server container runs to exec it in. */
  const once = async (args: string[]) => {
    try {
      const done = await container(args).withWaitStrategy(Wait.forOneShotStartup()).start();
      await done.stop();
      return { code: 0, stdout: '', stderr: '' };
    } catch (error) {
      return { code: 1, stdout: '', stderr: String(error) };
    }
  };
  if (options.withRepository ?? true) {
    const created = await once([
      'repository', 'create', 'filesystem', '--path', join(directory, 'repo'), '--password', repositoryPassword,
      '--cache-directory', join(directory, 'cache'), '--override-hostname', 'testhost', '--override-username', 'tester',
      '--no-check-for-updates', ...common,
    ]);
    if (created.code !== 0) throw new Error(`kopia repository create failed: ${created.stderr}`);
  }
  const username = 'kopia';
  const password = 'test-ui-password';
  const certFile = join(directory, 'server.cert');
  const keyFile = join(directory, 'server.key');
  let address = '127.0.0.1:0';
  let running: StartedTestContainer | undefined;
  const controlPassword = 'test-control-password';

  const start = async (firstStart: boolean): Promise<string> => {
    const args = [
      'server', 'start', ...common, '--no-check-for-updates', '--address', address,
      '--tls-cert-file', certFile, '--tls-key-file', keyFile,
      ...(firstStart ? ['--tls-generate-cert', '--tls-generate-rsa-key-size', '2048'] : []),
      '--server-username', username, '--server-password', password,
      '--server-control-password', controlPassword, '--shutdown-grace-period', '1s',
      ...(options.asyncRepoConnect === true ? ['--async-repo-connect'] : []),
    ];
    running = await container(args).withWaitStrategy(Wait.forLogMessage(/SERVER ADDRESS: /)).start();
    // The readiness line carries the real address (the port when :0 was asked for).
    const logs = await running.logs();
    return new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`no SERVER ADDRESS line:\n${text}`)), 30_000);
      logs.on('data', (chunk: Buffer | string) => {
        text += chunk.toString();
        const match = /SERVER ADDRESS: (https?:\/\/[0-9.:]+)/.exec(text);
        if (match !== null) {
          clearTimeout(timer);
          logs.destroy();
          resolve(match[1]!);
        }
      });
    });
  };

  const url = await start(true);
  address = new URL(url).host;
  const fingerprint = createHash('sha256').update(new X509Certificate(readFileSync(certFile)).raw).digest('hex');

  const stop = async (stopOptions: { kill?: boolean } = {}) => {
    const current = running;
    running = undefined;
    await current?.stop({ timeout: stopOptions.kill === true ? 0 : 10_000 });
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
    cli: async (args) => {
      if (running === undefined) return once([...args, ...common]);
      const result = await running.exec(['/bin/kopia', ...args, ...common], { env: serverEnv });
      return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
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
