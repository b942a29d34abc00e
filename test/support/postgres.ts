import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { Wait, type StartedTestContainer } from 'testcontainers';
import { localContainer } from './containers.ts';
import pg from 'pg';
import type { Env } from '../../src/config.ts';

/**
 * A real PostgreSQL server in a container, one per test file (start it in `before`, stop it in
 * `after`). Databases inside it are cheap: each test makes its own with `createDatabase`.
 * psql and pg_dump run in Docker too, so the tests need nothing but a Docker engine: inside the
 * server's own container when its image has them (the official postgres images do), else in a
 * throw-away container of TEST_POSTGRES_CLIENT_IMAGE (default postgres:15) that shares the server
 * container's network. psql talks to any server; pg_dump only to servers no newer than itself.
 */
export interface PostgresServer {
  version: string;
  container: StartedTestContainer;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Immich-style DB_* variables pointing at `database`. */
  env(database: string): Env;
  connect(database?: string): Promise<pg.Client>;
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(database: string, sql: string, values?: unknown[]): Promise<Row[]>;
  createDatabase(name: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  /** Runs psql against `database` with ON_ERROR_STOP, feeding it `input`; rejects on a non-zero exit. */
  psql(database: string, input: string | Buffer | NodeJS.ReadableStream, extraArgs?: string[]): Promise<CommandOutput>;
  /** Runs pg_dump (of the server's version, or the client image's) against `database` and returns its stdout. */
  pgDump(database: string, extraArgs?: string[]): Promise<string>;
  /** Whether that pg_dump is at least as new as the server (pg_dump refuses a newer one). */
  pgDumpReadsServer: boolean;
  /** Runs psql or pg_dump (in Docker, see above) as `login` (default: the superuser); resolves with any exit code. */
  runClient(program: 'psql' | 'pg_dump', args: string[], input?: string | Buffer | NodeJS.ReadableStream, login?: { user: string; password: string }): Promise<CommandOutput>;
  /** Runs a bash script from a host folder (mounted read-only at /scripts) with psql on PATH and PG* set. */
  runClientScript(hostFolder: string, script: string, args: string[], login?: { user: string; password: string }): Promise<CommandOutput>;
  stop(): Promise<void>;
}

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Immich's migration bookkeeping as Immich 1.133 and later leave it (Kysely's table, with its first
 * migration): a backup run refuses a database without it unless ALLOW_NON_IMMICH_DATABASE=true, so
 * every test database a run backs up gets it.
 */
export const immichBookkeepingSql = `
CREATE TABLE public.kysely_migrations (name varchar(255) NOT NULL PRIMARY KEY, "timestamp" varchar(255) NOT NULL);
INSERT INTO public.kysely_migrations VALUES ('1744910873969-InitialMigration', '2025-04-17T17:27:53.969Z');
`;

/**
 * An `asset` table of `rows` rows of 256 bytes of text each (about 80 MB of COPY text per 300,000
 * rows): big enough that a dump is still copying when a test stops, kills or freezes something.
 * With Immich's bookkeeping (immichBookkeepingSql), so that a backup run takes it for Immich's.
 */
export async function createBulkAssetTable(server: PostgresServer, database: string, rows: number): Promise<void> {
  await server.psql(
    database,
    `CREATE TABLE asset (id integer PRIMARY KEY, payload text);
     INSERT INTO asset SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, ${rows}) g;
     ${immichBookkeepingSql}`,
  );
}

export const defaultPostgresVersion = process.env.TEST_POSTGRES_VERSION ?? '14';

export async function startPostgres(version: string = defaultPostgresVersion): Promise<PostgresServer> {
  const user = 'postgres';
  const password = 'test-password-not-secret';
  const container = await localContainer(`postgres:${version}`)
    .withEnvironment({ POSTGRES_USER: user, POSTGRES_PASSWORD: password, POSTGRES_DB: 'postgres' })
    .withExposedPorts(5432)
    .withWaitStrategy(
      Wait.forAll([Wait.forListeningPorts(), Wait.forLogMessage(/database system is ready to accept connections/)]),
    )
    .withStartupTimeout(60_000)
    .start();
  const host = container.getHost();
  const port = container.getMappedPort(5432);

  const connect = async (database = 'postgres') => {
    const client = new pg.Client({ host, port, user, password, database });
    await client.connect();
    return client;
  };
  const query = async <Row extends pg.QueryResultRow>(database: string, sql: string, values?: unknown[]) => {
    const client = await connect(database);
    try {
      return (await client.query<Row>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };
  const tools = await postgresClientTools(container, version);
  const hostDump = hostPgDump === undefined ? undefined : { path: hostPgDump, major: await pgDumpMajor(hostPgDump) };
  const runClient = (program: 'psql' | 'pg_dump', args: string[], input?: string | Buffer | NodeJS.ReadableStream, login = { user, password }) =>
    program === 'pg_dump' && hostDump !== undefined
      ? runCommand(hostDump.path, args, input, { env: { ...process.env, PGHOST: host, PGPORT: String(port), PGUSER: login.user, PGPASSWORD: login.password } })
      : tools.run([program, ...args], input, login, program === 'pg_dump' ? { outputFolders: outputFoldersOf(args) } : {});
  const dumper = hostDump === undefined ? tools : { major: hostDump.major, where: hostDump.path };
  const runClientScript = (hostFolder: string, script: string, args: string[], login = { user, password }) =>
    tools.run(['bash', `/scripts/${script}`, ...args], undefined, login, { scripts: hostFolder });

  return {
    version,
    container,
    host,
    port,
    user,
    password,
    env: (database) => ({
      DB_HOSTNAME: host,
      DB_PORT: String(port),
      DB_USERNAME: user,
      DB_PASSWORD: password,
      DB_DATABASE_NAME: database,
    }),
    connect,
    query,
    createDatabase: async (name) => {
      await query('postgres', `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    },
    dropDatabase: async (name) => {
      await query('postgres', `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
    runClient,
    runClientScript,
    psql: async (database, input, extraArgs = []) => {
      const output = await runClient('psql', ['-X', '-q', '-d', database, '-v', 'ON_ERROR_STOP=1', ...extraArgs], input);
      if (output.code !== 0) throw new Error(`psql exited ${output.code}: ${output.stderr.trim()}`);
      return output;
    },
    pgDumpReadsServer: dumper.major >= Number(version),
    pgDump: async (database, extraArgs = []) => {
      if (dumper.major < Number(version)) throw new Error(`pg_dump ${dumper.major} (${dumper.where}) cannot dump a PostgreSQL ${version} server`);
      const output = await runClient('pg_dump', ['-d', database, ...extraArgs]);
      if (output.code !== 0) throw new Error(`pg_dump exited ${output.code}: ${output.stderr.trim()}`);
      return output.stdout;
    },
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * A pg_dump binary on this machine to run instead of the one in Docker (TEST_PG_DUMP=/path/to/pg_dump),
 * for one-off runs on servers newer than the client image's pg_dump: the postgres:16..18 images may
 * carry the server only, and pg_dump refuses a server newer than itself. Not set in CI.
 */
const hostPgDump = process.env.TEST_PG_DUMP;

/** The major version of a pg_dump binary (`pg_dump (PostgreSQL) 18.6` gives 18). */
async function pgDumpMajor(path: string): Promise<number> {
  const output = await runCommand(path, ['--version']);
  const major = /\(PostgreSQL\) (\d+)/.exec(output.stdout)?.[1];
  if (output.code !== 0 || major === undefined) throw new Error(`TEST_PG_DUMP=${path} is not a working pg_dump: ${output.stderr.trim()}`);
  return Number(major);
}

/** The postgres image whose psql/pg_dump stand in when a server image lacks them. */
const clientImage = process.env.TEST_POSTGRES_CLIENT_IMAGE ?? 'postgres:15';

/**
 * How psql and pg_dump reach `container`'s server from Docker: `docker exec` into it when its image
 * has them, else `docker run` of the client image in its network namespace. Either way the server
 * is 127.0.0.1:5432 and the password travels in the environment, never on a command line.
 */
async function postgresClientTools(container: StartedTestContainer, version: string) {
  const inServer = (await container.exec(['sh', '-c', 'command -v psql && command -v pg_dump'])).exitCode === 0;
  const major = inServer ? Number(version) : Number(/:(\d+)/.exec(clientImage)?.[1] ?? 0);
  const where = inServer ? `postgres:${version}, the server's image` : clientImage;
  return {
    major,
    where,
    /**
     * `scripts`: a host folder mounted read-only at /scripts. `outputFolders`: host folders the
     * program writes into (pg_dump -f), mounted at the same path, the program running as this
     * process's user so that the test can read (and delete) what it wrote.
     */
    run(
      command: string[],
      input: string | Buffer | NodeJS.ReadableStream | undefined,
      login: { user: string; password: string },
      options: { scripts?: string; outputFolders?: string[] } = {},
    ) {
      const env = { ...process.env, PGHOST: '127.0.0.1', PGPORT: '5432', PGUSER: login.user, PGPASSWORD: login.password };
      const passEnv = ['-e', 'PGHOST', '-e', 'PGPORT', '-e', 'PGUSER', '-e', 'PGPASSWORD'];
      const outputs = [...new Set(options.outputFolders ?? [])];
      const args =
        inServer && options.scripts === undefined && outputs.length === 0
          ? ['exec', '-i', ...passEnv, container.getId(), ...command]
          : [
              'run', '--rm', '-i', '--network', `container:${container.getId()}`, ...passEnv,
              ...(options.scripts === undefined ? [] : ['-v', `${options.scripts}:/scripts:ro`]),
              ...outputs.flatMap((folder) => ['-v', `${folder}:${folder}`]),
              ...(outputs.length === 0 ? [] : ['--user', `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`]),
              inServer ? `postgres:${version}` : clientImage,
              ...command,
            ];
      return runCommand('docker', args, input, { env });
    },
  };
}

/** The folders of the files a pg_dump command line writes (`-f F`, `--file F`, `--file=F`). */
function outputFoldersOf(args: string[]): string[] {
  const files: string[] = [];
  args.forEach((arg, index) => {
    if ((arg === '-f' || arg === '--file') && args[index + 1] !== undefined) files.push(args[index + 1]!);
    else if (arg.startsWith('--file=')) files.push(arg.slice('--file='.length));
    else if (/^-f./.test(arg)) files.push(arg.slice(2));
  });
  return files.map((file) => dirname(resolve(file)));
}

/** Runs a program (never through a shell) and collects its output. */
export function runCommand(
  program: string,
  args: string[],
  input?: string | Buffer | NodeJS.ReadableStream,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {},
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
    child.stdin.on('error', () => {
      // The program may exit before reading all its input (e.g. psql stopping at an error).
    });
    if (input === undefined) child.stdin.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
    else input.pipe(child.stdin);
  });
}
