// npm run bench:restore — restore-db (default jobs) against `gunzip | psql` of the same file, each
// into an empty database, on the two database shapes of bench:dump (see bench/common.ts; the
// databases are made once in the container `immich-backup-bench-pg15`). Each shape is dumped once
// with our dump, then restored A/B for BENCH_ROUNDS rounds (default 3); prints medians, their ratio
// and restore-db's peak RSS (measured in a child process of its own), and beside each run the CPU
// time of restore-db's process and of the server (its container's cgroup). BENCH_RESTORE_JOBS sets
// restore-db's --jobs (default: its default). restore-db runs with the node flags of the Dockerfile's
// ENTRYPOINT, as the sidecar runs it, on a dump with its manifest beside it, as in a backup folder.
// Where pg_dump and pg_restore are installed, a third anchor: `pg_restore -j` (as many jobs as
// restore-db's) of a directory-format dump of the same database (gzip at the same level): what
// PostgreSQL's own parallel restore does on this machine.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { dumpToFile } from '../src/postgres/dump.ts';
import { dumpFileName, manifestFileName } from '../src/postgres/dump-manifest.ts';
import { defaultRestoreJobs } from '../src/postgres/restore.ts';
import { admin, clientEnv, databaseUrl, ensureDatabase, hasProgram, here, imageNodeFlags, mb, median, pipe, run, seconds, shapes, startServer, withServerCpu } from './common.ts';

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const jobs = process.env.BENCH_RESTORE_JOBS ?? 'default';
const work = mkdtempSync(join(tmpdir(), 'immich-backup-bench-restore-'));
const target = 'bench_restore_target';
const pgRestoreJobs = String(jobs === 'default' ? defaultRestoreJobs() : Number(jobs));
const withPgRestore = hasProgram('pg_dump') && hasProgram('pg_restore');

/** `pg_restore -j` of a directory-format dump into an empty database: wall time in ms. */
async function pgRestore(port: number, directory: string): Promise<number> {
  const started = performance.now();
  await run('pg_restore', ['-j', pgRestoreJobs, '-d', target, directory], { env: clientEnv(port) });
  return performance.now() - started;
}

async function freshTarget(port: number): Promise<void> {
  await admin(port, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(target)}`);
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(target)}`);
  });
}

/** Rows per table of a database: a restore that loses rows is no benchmark. */
async function rowCounts(port: number, database: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl(port, database) });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(`SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables ORDER BY 1`);
    const counts: string[] = [];
    for (const { name } of tables.rows) counts.push(`${name}=${(await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${name}`)).rows[0]!.n}`);
    return counts.join(' ');
  } finally {
    await client.end();
  }
}

/**
 * The manifest a backup folder has beside its dump: restore-db checks the file's size and sha256
 * against it, as it does in every real restore, so the benchmark pays for that hash too.
 */
async function writeManifest(folder: string, file: string): Promise<void> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  const files = [{ path: dumpFileName, size: statSync(file).size, sha256: hash.digest('hex') }];
  writeFileSync(join(folder, manifestFileName), JSON.stringify({ files }));
}

const port = await startServer();
console.log(`restore-db jobs ${jobs}; ${rounds} rounds A/B; load: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
const summary: string[] = [];
try {
  for (const shape of shapes()) {
    const { size } = await ensureDatabase(port, shape.database, shape.assets, shape.embeddings);
    const folder = join(work, shape.database);
    mkdirSync(folder);
    const file = join(folder, dumpFileName);
    await dumpToFile({ connection: { connectionString: databaseUrl(port, shape.database) }, path: file });
    await writeManifest(folder, file);
    const directory = join(folder, 'pg_dump-directory');
    if (withPgRestore) await run('pg_dump', ['-Fd', '-Z', '6', '-j', pgRestoreJobs, '-f', directory, shape.database], { env: clientEnv(port) });
    const expected = await rowCounts(port, shape.database);
    console.log(`\n== ${shape.database}, ${shape.label}: ${mb(size)} on disk, our dump ${mb(statSync(file).size)}`);
    const oursRuns: { ms: number; rss: number; cpuMs: number; serverCpuMs: number }[] = [];
    const psqlRuns: number[] = [];
    const psqlServerCpu: number[] = [];
    const pgRestoreRuns: number[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      await freshTarget(port);
      const ours = await withServerCpu(() => run(process.execPath, [...imageNodeFlags(), join(here, 'dump-child.ts'), 'restore', databaseUrl(port, target), file, jobs]));
      const result = JSON.parse(ours.result.trim().split('\n').at(-1)!) as { ms: number; cpuMs: number; maxRssBytes: number; parallel?: unknown; checkedAgainstManifest: boolean };
      if (!result.checkedAgainstManifest) throw new Error(`restore-db of ${shape.database} did not check the dump against its manifest`);
      if ((await rowCounts(port, target)) !== expected) throw new Error(`restore-db of ${shape.database} did not restore every row`);
      await freshTarget(port);
      const psql = await withServerCpu(() => pipe(['gunzip', ['-c', file]], ['psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', target]], clientEnv(port)));
      let pgRestoreNote = '';
      if (withPgRestore) {
        await freshTarget(port);
        const own = await withServerCpu(() => pgRestore(port, directory));
        if ((await rowCounts(port, target)) !== expected) throw new Error(`pg_restore of ${shape.database} did not restore every row`);
        pgRestoreRuns.push(own.result);
        pgRestoreNote = `, pg_restore -j ${pgRestoreJobs} ${seconds(own.result)} (server CPU ${seconds(own.serverCpuMs)})`;
      }
      oursRuns.push({ ms: result.ms, rss: result.maxRssBytes, cpuMs: result.cpuMs, serverCpuMs: ours.serverCpuMs });
      psqlRuns.push(psql.result);
      psqlServerCpu.push(psql.serverCpuMs);
      // CPU beside wall times (which other work on the machine moves most): restore-db's own process,
      // and the server's for each; on 2 cores neither can take less than its CPU total / 2.
      console.log(
        `  round ${round}: restore-db ${seconds(result.ms)} (RSS ${mb(result.maxRssBytes)}, its CPU ${seconds(result.cpuMs)}, server CPU ${seconds(ours.serverCpuMs)}, ${JSON.stringify(result.parallel ?? {})}), ` +
          `gunzip|psql ${seconds(psql.result)} (server CPU ${seconds(psql.serverCpuMs)})${pgRestoreNote}`,
      );
    }
    const oursMedian = median(oursRuns.map((r) => r.ms));
    const psqlMedian = median(psqlRuns);
    const cpu =
      `median CPU: restore-db ${seconds(median(oursRuns.map((r) => r.cpuMs)))} + server ${seconds(median(oursRuns.map((r) => r.serverCpuMs)))}, ` +
      `gunzip|psql server ${seconds(median(psqlServerCpu))}`;
    const line = `RATIO ${shape.database}: restore-db / gunzip|psql = ${(oursMedian / psqlMedian).toFixed(3)} (${seconds(oursMedian)} / ${seconds(psqlMedian)}), restore-db peak RSS ${mb(Math.max(...oursRuns.map((r) => r.rss)))}; ${cpu}`;
    console.log(line);
    summary.push(line);
    if (pgRestoreRuns.length > 0) {
      const pgRestoreMedian = median(pgRestoreRuns);
      const anchor = `RATIO ${shape.database}: pg_restore -j ${pgRestoreJobs} / gunzip|psql = ${(pgRestoreMedian / psqlMedian).toFixed(3)} (${seconds(pgRestoreMedian)} / ${seconds(psqlMedian)}); restore-db / pg_restore -j ${pgRestoreJobs} = ${(oursMedian / pgRestoreMedian).toFixed(3)}`;
      console.log(anchor);
      summary.push(anchor);
    }
  }
} finally {
  await admin(port, (client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(target)}`)).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}
console.log(`\n${summary.join('\n')}`);
