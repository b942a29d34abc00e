/**
 * `npm run bench:restore`: restore-db's memory stays flat as the dump grows. Generates two
 * plain-SQL dumps (one table, BENCH_RESTORE_ROWS rows and four times as many), restores each
 * into a fresh database on a postgres:15 testcontainer, and prints time, throughput and the
 * peak RSS sampled in this process (the restore runs here, not in a child).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { restoreDatabase } from '../src/postgres/restore.ts';
import { startPostgres } from '../test/support/postgres.ts';

const baseRows = Number(process.env.BENCH_RESTORE_ROWS ?? 500_000);
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-bench-restore-'));

async function writeDump(path: string, rows: number): Promise<void> {
  const gzip = createGzip({ level: 1 });
  const done = gzip.pipe(createWriteStream(path));
  gzip.write('CREATE TABLE public.asset (id bigint, "originalPath" text, note text);\nCOPY public.asset (id, "originalPath", note) FROM stdin;\n');
  const note = 'x'.repeat(150);
  for (let i = 0; i < rows; i += 1) {
    if (!gzip.write(`${i}\t/data/library/admin/${i % 97}/${i}.jpg\t${note}\\t${i}\n`)) await once(gzip, 'drain');
  }
  gzip.end('\\.\n\nSELECT 1;\n');
  await once(done, 'finish');
}

const server = await startPostgres('15');
try {
  for (const [index, rows] of [baseRows, baseRows * 4].entries()) {
    const path = join(directory, `dump-${rows}.sql.gz`);
    await writeDump(path, rows);
    const database = `bench_${index}`;
    await server.createDatabase(database);
    globalThis.gc?.();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    const result = await restoreDatabase({
      connection: { host: server.host, port: server.port, user: server.user, password: server.password, database },
      input: path,
    });
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const megabytes = statSync(path).size / 1e6;
    console.log(
      `${rows} rows, ${megabytes.toFixed(1)} MB gzip: ${seconds.toFixed(1)} s, ${(result.copiedRows / seconds).toFixed(0)} rows/s, peak RSS ${(peak / 1e6).toFixed(0)} MB`,
    );
  }
} finally {
  await server.stop();
  rmSync(directory, { recursive: true, force: true });
}
