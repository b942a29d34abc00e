import { spawn } from 'node:child_process';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import pg from 'pg';
import type { Env } from '../../src/config.ts';

/**
 * A real PostgreSQL server in a container, one per test file (start it in `before`, stop it in
 * `after`). Databases inside it are cheap: each test makes its own with `createDatabase`.
 * The local postgres images (other than 15) carry only the server, so psql and pg_dump are the
 * machine's own (PostgreSQL 15 client): psql talks to any server; pg_dump only to servers <= 15.
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
  /** Runs pg_dump (servers <= 15 only) against `database` and returns its stdout. */
  pgDump(database: string, extraArgs?: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export const defaultPostgresVersion = process.env.TEST_POSTGRES_VERSION ?? '14';

export async function startPostgres(version: string = defaultPostgresVersion): Promise<PostgresServer> {
  const user = 'postgres';
  const password = 'test-password-not-secret';
  const container = await new GenericContainer(`postgres:${version}`)
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
  const clientEnv = { ...process.env, PGHOST: host, PGPORT: String(port), PGUSER: user, PGPASSWORD: password };
  const runClient = (program: string, args: string[], input?: string | Buffer | NodeJS.ReadableStream) =>
    runCommand(program, args, input, { env: clientEnv });

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
    psql: async (database, input, extraArgs = []) => {
      const output = await runClient('psql', ['-X', '-q', '-d', database, '-v', 'ON_ERROR_STOP=1', ...extraArgs], input);
      if (output.code !== 0) throw new Error(`psql exited ${output.code}: ${output.stderr.trim()}`);
      return output;
    },
    pgDump: async (database, extraArgs = []) => {
      if (Number(version) > 15) throw new Error(`the machine's pg_dump 15 cannot dump a PostgreSQL ${version} server`);
      const output = await runClient('pg_dump', ['-d', database, ...extraArgs]);
      if (output.code !== 0) throw new Error(`pg_dump exited ${output.code}: ${output.stderr.trim()}`);
      return output.stdout;
    },
    stop: async () => {
      await container.stop();
    },
  };
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
