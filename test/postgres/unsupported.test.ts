import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile } from '../../src/postgres/dump.ts';
import { describeObject, inventoryObjects } from '../../src/postgres/inventory.ts';
import { runCli } from '../support/cli.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor } from './round-trip.ts';

/** Issue 7, acceptance 1: objects the dump cannot write make it fail, naming each; never silently. */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-unsupported-'));
const expectedUnsupported = [
  'routine whose SQL body uses unnamed parameters public.first_positive(integer, integer, b integer)',
  'routine whose SQL body uses unnamed parameters public.keeper_labels(integer, integer)',
];

before(async () => {
  server = await startPostgres('16');
  await server.createDatabase('odd');
  await server.psql('odd', readFileSync(new URL('../fixtures/unsupported-kinds.sql', import.meta.url)));
});
after(async () => {
  await server?.stop();
});

test('the inventory lists each unsupported object with its kind, schema and name', async () => {
  const client = await server.connect('odd');
  try {
    // The dump's own session setting: every name outside pg_catalog comes out qualified.
    await client.query(`SELECT pg_catalog.set_config('search_path', '', false)`);
    const described = (await inventoryObjects(client)).map(describeObject);
    for (const name of expectedUnsupported) assert.ok(described.includes(name), `${name} in ${described.join(', ')}`);
    assert.ok(described.some((name) => name.startsWith('large object ')));
    assert.ok(described.some((name) => name.startsWith('default privileges ')));
    assert.ok(described.includes('table public.keeper'));
  } finally {
    await client.end();
  }
});

test('an extension-only database lists the extensions and nothing that belongs to them', async () => {
  await server.createDatabase('extensions_only');
  await server.psql('extensions_only', 'CREATE EXTENSION cube; CREATE EXTENSION earthdistance; CREATE EXTENSION pg_trgm; CREATE EXTENSION unaccent; CREATE EXTENSION "uuid-ossp";');
  const client = await server.connect('extensions_only');
  try {
    const described = (await inventoryObjects(client)).map(describeObject).sort();
    assert.deepEqual(described, ['extension cube', 'extension earthdistance', 'extension pg_trgm', 'extension unaccent', 'extension uuid-ossp', 'schema public']);
  } finally {
    await client.end();
  }
});

test('the dump refuses, naming every unsupported object on one line, and writes no file', async () => {
  const output = join(directory, 'refused.sql.gz');
  const result = await runCli(['dump', '--output', output], server.env('odd'));
  assert.equal(result.code, 1);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('immich-backup '));
  assert.equal(lines.length, 1, result.stderr);
  for (const name of expectedUnsupported) assert.ok(lines[0]!.includes(name), `${name} named in: ${lines[0]}`);
  assert.match(lines[0]!, /nothing was written/);
  assert.equal(existsSync(output), false);
  assert.equal(existsSync(`${output}.partial`), false);
});

test('with --allow-unsupported the dump succeeds, lists what it skipped, and the rest restores', async () => {
  const output = join(directory, 'allowed.sql.gz');
  const cli = await runCli(['dump', '--output', output, '--allow-unsupported'], server.env('odd'));
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stderr, /not in the dump: this kind of object is not supported yet/);

  const result = await dumpToFile({ connection: connectionFor(server, 'odd'), path: join(directory, 'api.sql.gz'), allowUnsupported: true });
  const skipped = result.unsupportedObjects.map(describeObject);
  for (const name of expectedUnsupported) assert.ok(skipped.includes(name), `${name} listed`);
  assert.ok(!skipped.includes('table public.keeper'));
  assert.ok(!skipped.some((name) => name.includes('keeper_second')), 'a function not using its unnamed parameter is written');
  assert.ok(
    skipped.includes('view public.keeper_first_label (depends on routine whose SQL body uses unnamed parameters public.keeper_labels(integer, integer))'),
    `the view on the skipped function is listed: ${skipped.join(', ')}`,
  );
  const skippedTable = 'table public.checked (depends on routine whose SQL body uses unnamed parameters public.first_positive(integer, integer, b integer))';
  assert.ok(skipped.includes(skippedTable), `the table whose CHECK calls the skipped function is listed: ${skipped.join(', ')}`);
  assert.ok(
    skipped.some((name) => name.startsWith('row level security public.checked on checked (depends on ')),
    `the skipped table's row level security is listed: ${skipped.join(', ')}`,
  );
  assert.ok(
    skipped.some((name) => name.startsWith('publication table public.keeper_pub on checked (depends on ')),
    `the skipped table's membership in a publication is listed: ${skipped.join(', ')}`,
  );
  assert.ok(!skipped.some((name) => name.includes('tripled')), 'an inheritance child with a generation expression of its own is written (16+)');
  for (const onTable of ['constraint public.checked_pkey on checked', 'trigger public.checked_kept on checked']) {
    assert.ok(skipped.some((name) => name.startsWith(`${onTable} (depends on `)), `the skipped table's ${onTable} is listed: ${skipped.join(', ')}`);
  }

  await server.createDatabase('odd_restored');
  // What refers to a skipped object is skipped with it (and listed), so what was written restores without one error.
  await server.psql('odd_restored', createReadStream(result.path).pipe(createGunzip()), ['--single-transaction']);
  const rows = await server.query<{ label: string }>('odd_restored', 'SELECT label FROM public.keeper');
  assert.deepEqual(rows, [{ label: 'kept' }]);
  // The child keeps its own expression (INHERITS alone would give it the parent's a * 2).
  const generated = await server.query<{ a: number; b: number }>('odd_restored', 'SELECT a, b FROM ONLY public.tripled');
  assert.deepEqual(generated, [{ a: 2, b: 6 }]);
});
