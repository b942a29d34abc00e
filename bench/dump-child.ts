// One measured run, in its own process so that its peak memory (maxRSS) is its own.
// Modes: `dump` (our dumpToFile), `floor` (COPY every table to nowhere: no dump can be faster) or
// `restore` (restore-db's restoreDatabase of a file into an empty database).
// Prints one JSON line: { ms, cpuMs (this process's user + system time), maxRssBytes, size?, bytes? }.
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { dumpToFile } from '../src/postgres/dump.ts';
import { restoreDatabase } from '../src/postgres/restore.ts';

const [mode, connectionString, output, jobs, level] = process.argv.slice(2);
const started = performance.now();
const cpuMs = () => {
  const usage = process.resourceUsage();
  return Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000);
};
if (mode === 'dump') {
  const result = await dumpToFile({ connection: { connectionString: connectionString! }, path: output!, jobs: Number(jobs), compressionLevel: Number(level) });
  const ms = performance.now() - started;
  await rm(output!, { force: true });
  console.log(JSON.stringify({ ms, cpuMs: cpuMs(), maxRssBytes: process.resourceUsage().maxRSS * 1024, size: result.size, bytes: result.uncompressedBytes }));
} else if (mode === 'restore') {
  const result = await restoreDatabase({ connection: { connectionString: connectionString! }, input: output!, ...(jobs === 'default' ? {} : { jobs: Number(jobs) }) });
  console.log(JSON.stringify({ ms: performance.now() - started, cpuMs: cpuMs(), maxRssBytes: process.resourceUsage().maxRSS * 1024, rows: result.copiedRows, parallel: result.parallel, checkedAgainstManifest: result.checkedAgainstManifest }));
} else {
  const client = new pg.Client({ connectionString: connectionString! });
  await client.connect();
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`,
  );
  let bytes = 0;
  for (const { name } of rows) {
    const stream = client.query(copyTo(`COPY ${name} TO STDOUT`));
    for await (const chunk of stream as AsyncIterable<Buffer>) bytes += chunk.length;
  }
  await client.query('COMMIT');
  await client.end();
  console.log(JSON.stringify({ ms: performance.now() - started, maxRssBytes: process.resourceUsage().maxRSS * 1024, bytes }));
}
