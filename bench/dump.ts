// npm run bench:dump — our native dump against `pg_dump --clean --if-exists | gzip` on an
// Immich-shaped database (PostgreSQL 15 in a container, whose pg_dump the machine has).
//
// Environment: BENCH_ASSETS (assets in the base database, default 300000, about 1.1 GB on disk),
// BENCH_ROUNDS (A/B rounds, default 3; 0 only makes the databases), BENCH_LEVEL (gzip level for both, default our default),
// BENCH_JOBS (jobs for the main comparison, default ours), BENCH_SCALING=0 to skip the jobs and
// 2x-size runs. The container `immich-backup-bench-pg15` and its databases are made once and kept;
// `docker rm -f immich-backup-bench-pg15` removes them.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { defaultCompressionLevel, defaultJobs } from '../src/postgres/dump.ts';

const container = 'immich-backup-bench-pg15';
const password = 'bench-password';
const assets = Number(process.env.BENCH_ASSETS ?? 300_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const level = Number(process.env.BENCH_LEVEL ?? defaultCompressionLevel);
const jobs = Number(process.env.BENCH_JOBS ?? defaultJobs());
const scaling = process.env.BENCH_SCALING !== '0';
const here = fileURLToPath(new URL('.', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'immich-backup-bench-'));

function run(program: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
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

async function startServer(): Promise<number> {
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

async function ensureDatabase(port: number, name: string, assetCount: number): Promise<number> {
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      console.log(`generating ${name}: ${assetCount} assets (once; kept in container ${container})...`);
      const started = Date.now();
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', `assets=${assetCount}`, '-d', name, '-f', join(here, 'generate.sql')], { env: clientEnv(port) });
      console.log(`  generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const size = await admin.query<{ size: string }>('SELECT pg_database_size($1)::text AS size', [name]);
    return Number(size.rows[0]!.size);
  } finally {
    await admin.end();
  }
}

function clientEnv(port: number): NodeJS.ProcessEnv {
  return { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PGPASSWORD: password };
}

interface Measurement {
  ms: number;
  size: number;
  maxRssBytes?: number;
}

async function ours(port: number, database: string, jobCount: number, gzipLevel: number): Promise<Measurement> {
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`;
  const output = await run(process.execPath, [join(here, 'dump-child.ts'), 'dump', url, join(work, 'ours.sql.gz'), String(jobCount), String(gzipLevel)]);
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as { ms: number; size: number; maxRssBytes: number };
  return { ms: result.ms, size: result.size, maxRssBytes: result.maxRssBytes };
}

async function floor(port: number, database: string): Promise<Measurement> {
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`;
  const result = JSON.parse((await run(process.execPath, [join(here, 'dump-child.ts'), 'floor', url])).trim()) as { ms: number; bytes: number };
  return { ms: result.ms, size: result.bytes };
}

/** The runbook's command: pg_dump --clean --if-exists | gzip -N > file, both processes as a user runs them. */
async function peer(port: number, database: string, gzipLevel: number): Promise<Measurement> {
  const file = join(work, 'peer.sql.gz');
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const dump = spawn('pg_dump', ['--clean', '--if-exists', '-d', database], { env: { ...process.env, ...clientEnv(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
    const gzip = spawn('gzip', [`-${gzipLevel}`], { stdio: ['pipe', 'pipe', 'inherit'] });
    dump.stdout.pipe(gzip.stdin);
    gzip.stdout.pipe(createWriteStream(file));
    let pending = 2;
    const done = (name: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${name} exited ${code}`));
      else if (--pending === 0) resolve();
    };
    dump.on('close', done('pg_dump'));
    gzip.on('close', done('gzip'));
  });
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const size = statSync(file).size;
  rmSync(file, { force: true });
  return { ms, size };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const port = await startServer();
const baseSize = await ensureDatabase(port, 'immich_x1', assets);
console.log(`database immich_x1: ${mb(baseSize)} on disk (PostgreSQL 15, ${assets} assets); gzip level ${level}; our jobs ${jobs}; ${rounds} rounds A/B`);
console.log(`load: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
if (rounds === 0) {
  // Only make the databases (the 2x one too), to measure later.
  if (scaling) await ensureDatabase(port, 'immich_x2', assets * 2);
  process.exit(0);
}

const oursRuns: Measurement[] = [];
const peerRuns: Measurement[] = [];
for (let round = 1; round <= rounds; round += 1) {
  const a = await ours(port, 'immich_x1', jobs, level);
  const b = await peer(port, 'immich_x1', level);
  oursRuns.push(a);
  peerRuns.push(b);
  console.log(`  round ${round}: ours ${seconds(a.ms)} (${mb(a.size)}, RSS ${mb(a.maxRssBytes!)}), pg_dump|gzip ${seconds(b.ms)} (${mb(b.size)})`);
}
const floorRun = await floor(port, 'immich_x1');
const oursMedian = median(oursRuns.map((r) => r.ms));
const peerMedian = median(peerRuns.map((r) => r.ms));
console.log(`median wall time: ours ${seconds(oursMedian)}, pg_dump --clean --if-exists | gzip -${level} ${seconds(peerMedian)}`);
console.log(`RATIO ours / pg_dump|gzip = ${(oursMedian / peerMedian).toFixed(3)}`);
console.log(`output size: ours ${mb(oursRuns[0]!.size)}, pg_dump|gzip ${mb(peerRuns[0]!.size)} (ours/peer ${(oursRuns[0]!.size / peerRuns[0]!.size).toFixed(3)})`);
console.log(`our peak RSS: ${mb(Math.max(...oursRuns.map((r) => r.maxRssBytes!)))}`);
console.log(`floor (COPY every table to nowhere, one connection): ${seconds(floorRun.ms)} for ${mb(floorRun.size)} of COPY text; ours / floor = ${(oursMedian / floorRun.ms).toFixed(2)}`);

if (scaling) {
  for (const jobCount of [1, 2, 3, 4]) {
    const a = await ours(port, 'immich_x1', jobCount, level);
    console.log(`jobs ${jobCount}: ours ${seconds(a.ms)}, ratio to pg_dump|gzip median ${(a.ms / peerMedian).toFixed(3)}, RSS ${mb(a.maxRssBytes!)}`);
  }
  for (const gzipLevel of [1, 3, 6]) {
    const a = await ours(port, 'immich_x1', jobs, gzipLevel);
    console.log(`level ${gzipLevel}: ours ${seconds(a.ms)}, ${mb(a.size)}`);
  }
  const doubleSize = await ensureDatabase(port, 'immich_x2', assets * 2);
  const double = await ours(port, 'immich_x2', jobs, level);
  console.log(`2x database (${mb(doubleSize)} on disk): ours ${seconds(double.ms)}, peak RSS ${mb(double.maxRssBytes!)} (1x: ${mb(Math.max(...oursRuns.map((r) => r.maxRssBytes!)))})`);
}
rmSync(work, { recursive: true, force: true });
