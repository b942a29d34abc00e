import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli.ts';
import { createBulkAssetTable, startPostgres, type PostgresServer } from '../support/postgres.ts';

/**
 * Issue 2, acceptance 6: every failure exits non-zero with one clear line, never prints the
 * password, and leaves neither a file under the final name nor a .partial one.
 */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-failures-'));

before(async () => {
  server = await startPostgres('14');
  await server.createDatabase('immich');
  // Big enough (~250 MB of COPY text) that the dump is still running when the server is stopped.
  await createBulkAssetTable(server, 'immich', 900000);
});
after(async () => {
  await server?.stop().catch(() => undefined);
});

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('immich-backup '));
}

function assertNothingWritten(path: string): void {
  assert.equal(existsSync(path), false, `${path} must not exist`);
  assert.equal(existsSync(`${path}.partial`), false, `${path}.partial must not exist`);
}

test('a wrong password: exit 1, one line naming the problem, no password, no file', async () => {
  const output = join(directory, 'wrong-password.sql.gz');
  const result = await runCli(['dump', '--output', output], { ...server.env('immich'), DB_PASSWORD: 'not-the-password-Zx81' });
  assert.equal(result.code, 1);
  const lines = errorLines(result.stderr);
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /password authentication failed/);
  assert.doesNotMatch(result.stderr + result.stdout, /not-the-password-Zx81/);
  assertNothingWritten(output);
});

test('an unwritable output path: exit 1, one line naming the path, no file', async () => {
  const output = join(directory, 'no-such-directory', 'dump.sql.gz');
  const result = await runCli(['dump', '--output', output], server.env('immich'));
  assert.equal(result.code, 1);
  const lines = errorLines(result.stderr);
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /cannot write the dump to .*no-such-directory/);
  assert.doesNotMatch(result.stderr, new RegExp(server.password));
  assertNothingWritten(output);
});

test('an output name that is not .sql.gz is refused before connecting', async () => {
  const result = await runCli(['dump', '--output', join(directory, 'dump.sql')], server.env('immich'));
  assert.equal(result.code, 64);
  assert.match(result.stderr, /must end in \.sql\.gz/);
});

test('the server stopped in the middle of a dump: exit 1, one line, no file and no .partial left', async () => {
  const output = join(directory, 'server-gone.sql.gz');
  const running = runCli(['dump', '--output', output], server.env('immich'));
  // Wait until the dump is writing data, then take the server away.
  const deadline = Date.now() + 60_000;
  while (!(existsSync(`${output}.partial`) && statSync(`${output}.partial`).size > 64 * 1024)) {
    assert.ok(Date.now() < deadline, 'the dump never started writing');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await server.container.stop({ timeout: 0 });
  const result = await running;
  assert.equal(result.code, 1);
  const lines = errorLines(result.stderr);
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /dump failed: .*(terminat|connection|ECONNRESET|closed)/i);
  assert.doesNotMatch(result.stderr, new RegExp(server.password));
  assertNothingWritten(output);
  assert.deepEqual(readdirSync(directory).filter((name) => name.startsWith('server-gone')), []);
  // Nor the parallel workers' temporary members.
  assert.deepEqual(readdirSync(directory).filter((name) => name.startsWith('.immich-backup-dump-')), []);
});
