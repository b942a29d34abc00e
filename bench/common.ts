// What bench:dump and bench:restore share: the PostgreSQL 15 container and its two database shapes,
// child processes, and pipelines of the tools a user would run instead.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const container = 'immich-backup-bench-pg15';
export const password = 'bench-password';
export const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The two shapes every figure is given for: Immich-like with CLIP embeddings (one table holding
 * most of the data), and the same without embeddings (several mid-sized tables, none over 128 MiB).
 */
export interface Shape {
  database: string;
  label: string;
  assets: number;
  embeddings: boolean;
}

export function shapes(): Shape[] {
  const assets = Number(process.env.BENCH_ASSETS ?? 300_000);
  const midAssets = Number(process.env.BENCH_MID_ASSETS ?? 380_000);
  const all = [
    { database: 'immich_x1', label: 'one big table (embeddings)', assets, embeddings: true },
    { database: 'immich_mid', label: 'mid-sized tables (no embeddings)', assets: midAssets, embeddings: false },
  ];
  // BENCH_SHAPE=immich_mid (or immich_x1) measures one shape only.
  const only = process.env.BENCH_SHAPE;
  return only === undefined ? all : all.filter((shape) => shape.database === only);
}

export function run(program: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${program} ${args[0]} exited ${code}: ${stderr.slice(-2000)}`))));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs two programs as `a | b`, each as a user would; resolves with the wall time in ms. */
export function pipe(a: [string, string[]], b: [string, string[]], env: NodeJS.ProcessEnv, output?: NodeJS.WritableStream): Promise<number> {
  const started = performance.now();
  return new Promise<number>((resolve, reject) => {
    const first = spawn(a[0], a[1], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const second = spawn(b[0], b[1], { env: { ...process.env, ...env }, stdio: ['pipe', output === undefined ? 'ignore' : 'pipe', 'inherit'] });
    first.stdout.pipe(second.stdin!);
    if (output !== undefined) second.stdout!.pipe(output);
    let pending = 2;
    const done = (name: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${name} exited ${code}`));
      else if (--pending === 0) resolve(performance.now() - started);
    };
    first.on('close', done(a[0]));
    second.on('close', done(b[0]));
  });
}

/** Whether a program is on the PATH (pigz is not installed everywhere). */
export function hasProgram(program: string): boolean {
  return spawnSync(program, ['--version'], { stdio: 'ignore' }).error === undefined;
}

export function clientEnv(port: number): NodeJS.ProcessEnv {
  return { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PGPASSWORD: password };
}

export function databaseUrl(port: number, database: string): string {
  return `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`;
}

export async function startServer(): Promise<number> {
  const state = await run('docker', ['ps', '-a', '--filter', `name=^${container}$`, '--format', '{{.State}}']).catch(() => '');
  if (state.trim() === '') {
    await run('docker', ['run', '-d', '--name', container, '--label', 'immich-backup-bench=1', '-e', `POSTGRES_PASSWORD=${password}`,
      '-p', '127.0.0.1::5432', '--shm-size', '256m', 'postgres:15', '-c', 'shared_buffers=256MB', '-c', 'max_wal_size=4GB']);
  } else if (state.trim() !== 'running') {
    await run('docker', ['start', container]);
  }
  const port = Number((await run('docker', ['port', container, '5432/tcp'])).trim().split(':').at(-1));
  for (let attempt = 0; ; attempt += 1) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    try {
      await client.connect();
      await client.end();
      return port;
    } catch (error) {
      if (attempt > 120) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export async function admin<T>(port: number, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Makes the database once (kept in the container); returns its size on disk and its biggest table's (TOAST included). */
export async function ensureDatabase(port: number, name: string, assetCount: number, embeddings = true): Promise<{ size: number; biggestTable: number }> {
  await admin(port, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount !== 0) return;
    console.log(`generating ${name}: ${assetCount} assets${embeddings ? '' : ', no embeddings'} (once; kept in container ${container})...`);
    const started = Date.now();
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', `assets=${assetCount}`, '-v', `embeddings=${embeddings ? 'on' : 'off'}`, '-d', name, '-f', join(here, 'generate.sql')], {
      env: clientEnv(port),
    });
    console.log(`  generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
  const size = await admin(port, (client) => client.query<{ size: string }>('SELECT pg_database_size($1)::text AS size', [name]));
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: name });
  await client.connect();
  try {
    const biggest = await client.query<{ size: string }>(
      `SELECT coalesce(max(pg_table_size(c.oid)), 0)::text AS size FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'`,
    );
    return { size: Number(size.rows[0]!.size), biggestTable: Number(biggest.rows[0]!.size) };
  } finally {
    await client.end();
  }
}

/**
 * CPU time the bench server's container has used so far (ms), from its cgroup: what PostgreSQL's
 * backends spent. Much less moved by other work on the machine than wall times are (though not
 * immune: a crowded machine inflates CPU time too). undefined when the cgroup cannot be read.
 */
export async function serverCpuMs(): Promise<number | undefined> {
  const v2 = await run('docker', ['exec', container, 'cat', '/sys/fs/cgroup/cpu.stat']).catch(() => undefined);
  const usec = v2 === undefined ? undefined : /^usage_usec (\d+)$/m.exec(v2)?.[1];
  if (usec !== undefined) return Number(usec) / 1000;
  const v1 = await run('docker', ['exec', container, 'cat', '/sys/fs/cgroup/cpuacct/cpuacct.usage']).catch(() => undefined);
  return v1 === undefined || v1.trim() === '' ? undefined : Number(v1.trim()) / 1e6;
}

/** The server CPU `work` cost (ms; NaN when unknown) beside its result. */
export async function withServerCpu<T>(work: () => Promise<T>): Promise<{ result: T; serverCpuMs: number }> {
  const before = await serverCpuMs();
  const result = await work();
  const after = await serverCpuMs();
  return { result, serverCpuMs: before === undefined || after === undefined ? Number.NaN : after - before };
}

/**
 * The node flags of the image's ENTRYPOINT (Dockerfile): our runs are measured the way the sidecar
 * runs them, and the bench cannot drift from the image.
 */
export function imageNodeFlags(): string[] {
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(join(here, '..', 'Dockerfile'), 'utf8'));
  if (entrypoint === null) throw new Error('Dockerfile: no ENTRYPOINT [...] line');
  const words = JSON.parse(entrypoint[1]!) as string[];
  return words.slice(1).filter((word) => word.startsWith('--'));
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
