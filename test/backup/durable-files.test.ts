import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { copyConfigFiles } from '../../src/backup/steps/config-copy.ts';
import { writeFileAtomic } from '../../src/durable-files.ts';

/**
 * Records the file-system calls that make a write durable, in order: `fsync <path>` (a file or a
 * folder opened and synced) and `rename <from> -> <to>`. The modules under test import the same
 * functions by name; syncBuiltinESMExports makes those bindings see the recording versions.
 */
function traceDurability(t: TestContext): string[] {
  const events: string[] = [];
  const realOpen = fsp.open;
  const realRename = fsp.rename;
  t.mock.method(fsp, 'open', async (...args: Parameters<typeof fsp.open>) => {
    const handle = await realOpen(...args);
    const realSync = handle.sync.bind(handle);
    handle.sync = async () => {
      await realSync();
      events.push(`fsync ${String(args[0])}`);
    };
    return handle;
  });
  t.mock.method(fsp, 'rename', async (from: string, to: string) => {
    await realRename(from, to);
    events.push(`rename ${from} -> ${to}`);
  });
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });
  return events;
}

/** The events with the random temporary names made readable: `<name>.tmp`. */
function normalised(events: string[], dir: string): string[] {
  return events.map((event) => event.replaceAll(dir, '<dir>').replace(/\.\d+-[0-9a-f-]{36}\.tmp/g, '.tmp'));
}

test('writeFileAtomic: the temporary file is fsynced before it is renamed into place, then the folder; mode 0600; nothing left over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'durable-'));
  const target = join(dir, 'state.json');
  writeFileSync(target, 'old\n', { mode: 0o644 });
  const events = traceDurability(t);
  await writeFileAtomic(target, 'new\n');
  assert.deepEqual(normalised(events, dir), ['fsync <dir>/state.json.tmp', 'rename <dir>/state.json.tmp -> <dir>/state.json', 'fsync <dir>']);
  assert.equal(readFileSync(target, 'utf8'), 'new\n');
  assert.equal(statSync(target).mode & 0o777, 0o600, 'the replaced file had 0644: the new one has the mode asked for');
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

test('writeFileAtomic: a mode given is kept whatever the umask; a failed rename removes the temporary file and leaves the old file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'durable-'));
  const previous = process.umask(0o077);
  try {
    await writeFileAtomic(join(dir, 'shared.txt'), 'x', { mode: 0o640 });
  } finally {
    process.umask(previous);
  }
  assert.equal(statSync(join(dir, 'shared.txt')).mode & 0o777, 0o640);
  // A folder in the way: the rename fails.
  mkdirSync(join(dir, 'taken'));
  writeFileSync(join(dir, 'taken', 'inside'), 'kept');
  await assert.rejects(writeFileAtomic(join(dir, 'taken'), 'y'));
  assert.deepEqual(readdirSync(dir).sort(), ['shared.txt', 'taken']);
  assert.equal(readFileSync(join(dir, 'taken', 'inside'), 'utf8'), 'kept');
});

test('config copies are written durably: each copy fsynced before it gets its name, its folder after, and the run folder for the new config folder', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'config-copy-'));
  const sources = join(root, 'immich');
  const runFolder = join(root, 'run');
  mkdirSync(sources);
  mkdirSync(runFolder);
  writeFileSync(join(sources, 'docker-compose.yml'), 'services: {}\n');
  writeFileSync(join(sources, '.env'), 'DB_PASSWORD=secret\n', { mode: 0o644 });
  const events = traceDurability(t);
  const result = await copyConfigFiles([join(sources, 'docker-compose.yml'), join(sources, '.env')], runFolder);
  assert.deepEqual(result.copied.map((file) => file.path), ['config/docker-compose.yml', 'config/.env']);
  assert.deepEqual(normalised(events, root), [
    'fsync <dir>/run',
    'fsync <dir>/run/config/docker-compose.yml.tmp',
    'rename <dir>/run/config/docker-compose.yml.tmp -> <dir>/run/config/docker-compose.yml',
    'fsync <dir>/run/config',
    'fsync <dir>/run/config/.env.tmp',
    'rename <dir>/run/config/.env.tmp -> <dir>/run/config/.env',
    'fsync <dir>/run/config',
  ]);
  assert.equal(readFileSync(join(runFolder, 'config', '.env'), 'utf8'), 'DB_PASSWORD=secret\n');
  assert.equal(statSync(join(runFolder, 'config', '.env')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(runFolder, 'config')).sort(), ['.env', 'docker-compose.yml']);
});
