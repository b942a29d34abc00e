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
