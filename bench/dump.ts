// npm run bench:dump — our native dump against `pg_dump --clean --if-exists | gzip` and `| pigz` at
// the same level, on two Immich-shaped databases (PostgreSQL 15 in a container, whose pg_dump the
// machine has): one where CLIP embeddings are one table holding most of the data, and one of
// several mid-sized tables (no embeddings, none over 128 MiB).
//
// Environment: BENCH_ASSETS (assets in the big database, default 300000, about 1.1 GB on disk),
// BENCH_MID_ASSETS (assets in the mid-sized one, default 380000, about 0.3 GB; BENCH_SHAPE=immich_mid or immich_x1 measures one shape only), BENCH_ROUNDS (A/B/C
// rounds, default 3; 0 only makes the databases), BENCH_LEVEL (gzip level for all, default ours),
// BENCH_JOBS (jobs for the main comparison, default ours), BENCH_SCALING=0 to skip the jobs, level
// and 2x-size runs. The container `immich-backup-bench-pg15` and its databases are made once and
// kept; `docker rm -f immich-backup-bench-pg15` removes them. pigz must be installed for its anchor.
// Our dump runs with the node flags of the Dockerfile's ENTRYPOINT, as the sidecar runs it.
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCompressionLevel, defaultJobs } from '../src/postgres/dump.ts';
import { clientEnv, databaseUrl, ensureDatabase, hasProgram, here, imageNodeFlags, mb, median, pipe, run, seconds, shapes, startServer, withServerCpu } from './common.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const level = Number(process.env.BENCH_LEVEL ?? defaultCompressionLevel);
const jobs = Number(process.env.BENCH_JOBS ?? defaultJobs());
const scaling = process.env.BENCH_SCALING !== '0';
const work = mkdtempSync(join(tmpdir(), 'immich-backup-bench-'));
const pigz = hasProgram('pigz');

interface Measurement {
  ms: number;
  cpuMs?: number;
  /** The server's CPU time during the run (its container's cgroup; NaN when unreadable). */
  serverCpuMs?: number;
  size: number;
  maxRssBytes?: number;
}

async function ours(port: number, database: string, jobCount: number, gzipLevel: number): Promise<Measurement> {
  const { result: output, serverCpuMs } = await withServerCpu(() =>
    run(process.execPath, [...imageNodeFlags(), join(here, 'dump-child.ts'), 'dump', databaseUrl(port, database), join(work, 'ours.sql.gz'), String(jobCount), String(gzipLevel)]),
  );
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as { ms: number; cpuMs: number; size: number; maxRssBytes: number };
  return { ms: result.ms, cpuMs: result.cpuMs, serverCpuMs, size: result.size, maxRssBytes: result.maxRssBytes };
}

async function floor(port: number, database: string): Promise<Measurement> {
  const result = JSON.parse((await run(process.execPath, [join(here, 'dump-child.ts'), 'floor', databaseUrl(port, database)])).trim()) as { ms: number; bytes: number };
  return { ms: result.ms, size: result.bytes };
}

/** What a user pipes: pg_dump --clean --if-exists | gzip -N (or pigz -N, all cores) > file. */
async function peer(port: number, database: string, compressor: 'gzip' | 'pigz', gzipLevel: number): Promise<Measurement> {
  const file = join(work, `peer.sql.gz`);
  const out = createWriteStream(file);
  const { result: ms, serverCpuMs } = await withServerCpu(() =>
    pipe(['pg_dump', ['--clean', '--if-exists', '-d', database]], [compressor, [`-${gzipLevel}`]], clientEnv(port), out),
  );
  await new Promise((resolve) => out.end(resolve));
  const size = statSync(file).size;
  rmSync(file, { force: true });
  return { ms, serverCpuMs, size };
}

const port = await startServer();
console.log(`gzip level ${level}; our jobs ${jobs}; ${rounds} rounds A/B${pigz ? '/C' : ''}; load: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
if (!pigz) console.log('pigz is MISSING (install it, e.g. apt-get install pigz): the pg_dump | pigz anchor is skipped');
const sized = [];
for (const shape of shapes()) {
  const { size, biggestTable } = await ensureDatabase(port, shape.database, shape.assets, shape.embeddings);
  sized.push({ ...shape, size, biggestTable });
  console.log(`database ${shape.database}, ${shape.label}: ${mb(size)} on disk, biggest table ${mb(biggestTable)} (PostgreSQL 15, ${shape.assets} assets)`);
}
if (rounds === 0) {
  // Only make the databases (the 2x one too), to measure later.
  if (scaling) await ensureDatabase(port, 'immich_x2', sized[0]!.assets * 2);
  process.exit(0);
}

const summary: string[] = [];
for (const shape of sized) {
  console.log(`\n== ${shape.database}: ${shape.label}`);
  const oursRuns: Measurement[] = [];
  const gzipRuns: Measurement[] = [];
  const pigzRuns: Measurement[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const a = await ours(port, shape.database, jobs, level);
    const b = await peer(port, shape.database, 'gzip', level);
    const c = pigz ? await peer(port, shape.database, 'pigz', level) : undefined;
    oursRuns.push(a);
    gzipRuns.push(b);
    if (c !== undefined) pigzRuns.push(c);
    // Server CPU beside each: what other work on the machine moves much less than wall times.
    console.log(
      `  round ${round}: ours ${seconds(a.ms)} (${mb(a.size)}, RSS ${mb(a.maxRssBytes!)}, our process's CPU ${seconds(a.cpuMs!)}, server CPU ${seconds(a.serverCpuMs!)}), ` +
        `pg_dump|gzip ${seconds(b.ms)} (${mb(b.size)}, server CPU ${seconds(b.serverCpuMs!)})` +
        (c === undefined ? '' : `, pg_dump|pigz ${seconds(c.ms)} (${mb(c.size)}, server CPU ${seconds(c.serverCpuMs!)})`),
    );
  }
  const floorRun = await floor(port, shape.database);
  const oursMedian = median(oursRuns.map((r) => r.ms));
  const gzipMedian = median(gzipRuns.map((r) => r.ms));
  const pigzMedian = pigz ? median(pigzRuns.map((r) => r.ms)) : Number.NaN;
  const peakRss = Math.max(...oursRuns.map((r) => r.maxRssBytes!));
  console.log(`median wall time: ours ${seconds(oursMedian)}, pg_dump --clean --if-exists | gzip -${level} ${seconds(gzipMedian)}${pigz ? `, | pigz -${level} ${seconds(pigzMedian)}` : ''}`);
  const ratios =
    `RATIO ${shape.database}: ours / pg_dump|gzip = ${(oursMedian / gzipMedian).toFixed(3)}, ` +
    `ours / pg_dump|pigz = ${pigz ? (oursMedian / pigzMedian).toFixed(3) : 'n/a (pigz missing)'}, ` +
    `size ours / pg_dump|gzip = ${(oursRuns[0]!.size / gzipRuns[0]!.size).toFixed(3)}, peak RSS ${mb(peakRss)}`;
  console.log(ratios);
  summary.push(ratios);
  console.log(`floor (COPY every table to nowhere, one connection): ${seconds(floorRun.ms)} for ${mb(floorRun.size)} of COPY text; ours / floor = ${(oursMedian / floorRun.ms).toFixed(2)}`);
  if (scaling) {
    for (const jobCount of [1, 2, 3, 4]) {
      const a = await ours(port, shape.database, jobCount, level);
      console.log(`jobs ${jobCount}: ours ${seconds(a.ms)}, ratio to pg_dump|gzip median ${(a.ms / gzipMedian).toFixed(3)}, RSS ${mb(a.maxRssBytes!)}`);
    }
  }
}

if (scaling) {
  for (const gzipLevel of [1, 3, 6]) {
    const a = await ours(port, sized[0]!.database, jobs, gzipLevel);
    console.log(`level ${gzipLevel} (${sized[0]!.database}): ours ${seconds(a.ms)}, ${mb(a.size)}`);
  }
  const double = await ensureDatabase(port, 'immich_x2', sized[0]!.assets * 2);
  const doubled = await ours(port, 'immich_x2', jobs, level);
  console.log(`2x database (${mb(double.size)} on disk): ours ${seconds(doubled.ms)}, peak RSS ${mb(doubled.maxRssBytes!)}`);
}
console.log(`\n${summary.join('\n')}`);
rmSync(work, { recursive: true, force: true });
