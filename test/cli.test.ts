import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './support/cli.ts';

test('no command prints the usage and exits 64', async () => {
  const result = await runCli([]);
  assert.equal(result.code, 64);
  assert.match(result.stdout, /usage: immich-backup <command>/);
});

test('an unknown command is refused with the list of commands', async () => {
  const result = await runCli(['bogus']);
  assert.equal(result.code, 64);
  assert.match(result.stderr, /unknown command 'bogus'/);
  assert.match(result.stderr, /restore-db/);
});

test('dump: its flags and DUMP_* variables are read with the sidecar config schemas, refused before connecting', async () => {
  const level = await runCli(['dump', '--output', '/tmp/x.sql.gz', '--compression-level', '10']);
  assert.equal(level.code, 64);
  assert.match(level.stderr, /--compression-level must be a whole number from 0 to 9, not "10"/);
  const jobs = await runCli(['dump', '--output', '/tmp/x.sql.gz', '--jobs', '1.5']);
  assert.equal(jobs.code, 64);
  assert.match(jobs.stderr, /--jobs must be a whole number from 1 to 64, not "1\.5"/);
  // Read as the sidecar reads it: a value that is not a yes or a no is named, not taken as "no".
  const flag = await runCli(['dump', '--output', '/tmp/x.sql.gz'], { DB_URL: 'postgres://u:p@127.0.0.1:1/immich', DUMP_ALLOW_UNSUPPORTED: 'maybe' });
  assert.equal(flag.code, 78);
  assert.match(flag.stderr, /DUMP_ALLOW_UNSUPPORTED/);
});
