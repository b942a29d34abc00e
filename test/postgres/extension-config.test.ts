import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor, fingerprintDifferences, verifyProblems } from './round-trip.ts';

/**
 * An extension's configuration tables and sequences (pg_extension_config_dump): CREATE EXTENSION
 * recreates them with its own ("builtin") rows, and the rows users added are data the dump must
 * write, as pg_dump does: those the extension's condition picks (`WHERE NOT builtin`), all rows when
 * it has none, and the sequence's value. No contrib extension here has such tables, so the test
 * installs a tiny one of its own into the server's extension directory. PostgreSQL 15: its image has
 * pg_dump, whose data section is the reference.
 */
let server: PostgresServer;
let dump: DumpFileResult;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-extension-config-'));

const control = `comment = 'settings kept by an extension'
default_version = '1.0'
relocatable = false
schema = public
`;
// keeper_note sorts before keeper_setting but references it: its rows must come second.
const script = `
CREATE TABLE keeper_setting (id integer PRIMARY KEY, name text NOT NULL, builtin boolean NOT NULL DEFAULT false);
CREATE TABLE keeper_note (id integer PRIMARY KEY, setting integer NOT NULL REFERENCES keeper_setting, body text);
CREATE SEQUENCE keeper_ticket;
INSERT INTO keeper_setting VALUES (1, 'builtin one', true), (2, 'builtin two', true);
SELECT pg_catalog.pg_extension_config_dump('keeper_setting', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('keeper_note', '');
SELECT pg_catalog.pg_extension_config_dump('keeper_ticket', '');
`;

before(async () => {
  server = await startPostgres('15');
  const [row] = await server.query<{ sharedir: string }>('postgres', `SELECT setting AS sharedir FROM pg_config WHERE name = 'SHAREDIR'`);
  const sharedir = row!.sharedir;
  await server.container.copyContentToContainer([
    { content: control, target: `${sharedir}/extension/keeper.control` },
    { content: script, target: `${sharedir}/extension/keeper--1.0.sql` },
  ]);
  await server.createDatabase('source');
  await server.psql(
    'source',
    `CREATE EXTENSION keeper;
     INSERT INTO keeper_setting VALUES (10, 'mine', false), (11, E'tab\\there', false);
     INSERT INTO keeper_note VALUES (1, 10, 'on my setting'), (2, 1, 'on a builtin one');
     -- Enough rows for restore-db to load in many pieces, notes on the last settings.
     INSERT INTO keeper_setting SELECT g, 'setting ' || g, false FROM generate_series(100, 3099) g;
     INSERT INTO keeper_note SELECT g, 3099 - (g % 50), 'note ' || g FROM generate_series(100, 3099) g;
     SELECT setval('keeper_ticket', 42);
     CREATE TABLE own (id integer PRIMARY KEY, setting integer REFERENCES keeper_setting);
     INSERT INTO own VALUES (1, 11);`,
  );
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'source.sql.gz'), jobs: 1 });
});
after(async () => {
  await server?.stop();
});

/** What the extension keeps, and the user's table on it. */
async function contents(database: string): Promise<unknown> {
  return {
    settings: await server.query(database, 'SELECT * FROM keeper_setting ORDER BY id'),
    notes: await server.query(database, 'SELECT * FROM keeper_note ORDER BY id'),
    ticket: await server.query(database, 'SELECT last_value, is_called FROM keeper_ticket'),
    own: await server.query(database, 'SELECT * FROM own ORDER BY id'),
  };
}

/** The data entries of the extension's tables and sequence, as a script writes them. */
function keeperData(text: string): string[] {
  const blocks = [...text.matchAll(/^-- (?:Data for )?Name: keeper_\w+; Type: (?:TABLE DATA|SEQUENCE SET);[^\n]*\n--\n\n(?:COPY [^\n]*\n(?:[^\n]*\n)*?\\\.\n|SELECT pg_catalog\.setval[^\n]*\n)/gm)];
  return blocks.map((match) => match[0]);
}

test('the dump writes the user rows of configuration tables (by the condition), referenced table first, and the sequence value, as pg_dump', async () => {
  const text = gunzipSync(readFileSync(dump.path)).toString();
  const ours = keeperData(text);
  const reference = keeperData(await server.pgDump('source', ['--clean', '--if-exists', '--no-owner']));
  assert.equal(reference.length, 3, 'pg_dump writes two tables and a sequence value');
  assert.deepEqual(ours, reference);
  assert.ok(text.indexOf('CREATE EXTENSION IF NOT EXISTS keeper') < text.indexOf('COPY public.keeper_setting'));
  // The manifest counts the rows the dump wrote.
  assert.deepEqual(
    dump.tables.filter((table) => table.name.startsWith('keeper_')).map((table) => [table.name, table.rows]),
    [['keeper_setting', 3002], ['keeper_note', 3002]],
  );
});

test('psql restores them once, into an empty database and over its own restore (the script drops the extension)', async () => {
  const expected = await contents('source');
  await server.createDatabase('by_psql');
  const restore = () => server.psql('by_psql', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
  await restore();
  assert.deepEqual(await contents('by_psql'), expected);
  assert.deepEqual(await fingerprintDifferences(server, 'by_psql', dump), []);
  await restore();
  assert.deepEqual(await contents('by_psql'), expected);
});

test('restore-db --jobs 4 restores them once, and again with --clean over the copy (with and without one transaction)', async () => {
  const expected = await contents('source');
  await server.createDatabase('by_jobs');
  const connection = connectionFor(server, 'by_jobs');
  const first = await restoreDatabase({ connection, input: dump.path, jobs: 4, pieceBytes: 1024 });
  assert.ok((first.parallel?.pieces ?? 0) > 40, 'the configuration tables were loaded in pieces on workers');
  assert.deepEqual(await contents('by_jobs'), expected);
  await restoreDatabase({ connection, input: dump.path, clean: true, singleTransaction: false, jobs: 4, pieceBytes: 1024 });
  assert.deepEqual(await contents('by_jobs'), expected);
  await restoreDatabase({ connection, input: dump.path, clean: true });
  assert.deepEqual(await contents('by_jobs'), expected);
});

test('a dump on four connections writes the same configuration data', async () => {
  const parallel = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'jobs.sql.gz'), jobs: 4, tablePieceBytes: 16 });
  assert.deepEqual(keeperData(gunzipSync(readFileSync(parallel.path)).toString()), keeperData(gunzipSync(readFileSync(dump.path)).toString()));
  // The same rows (a configuration table without a condition may be copied in pieces, hashed by piece).
  const counts = (tables: DumpFileResult['tables']) => tables.map((table) => [table.name, table.rows, table.bytes]);
  assert.deepEqual(counts(parallel.tables), counts(dump.tables));
});

test('verify reads the restored configuration tables through the same condition: the backup passes', async () => {
  assert.deepEqual(await verifyProblems(server, 'source', dump, directory), []);
});

test('restore-db --jobs 4 loads a table whose foreign key exists before the data (as CREATE EXTENSION makes them) after the rows it references', async () => {
  // Each row of `child` references one of the last rows of `parent`: loaded side by side in pieces,
  // a piece of child would be checked before the pieces of parent it needs were committed.
  const rows = (count: number, row: (i: number) => string) => Array.from({ length: count }, (_, i) => `${row(i + 1)}\n`).join('');
  const text = [
    'CREATE TABLE public.parent (id integer PRIMARY KEY, name text);',
    'CREATE TABLE public.child (id integer PRIMARY KEY, parent integer REFERENCES public.parent, up integer REFERENCES public.child);',
    'COPY public.parent (id, name) FROM stdin;',
    `${rows(20_000, (i) => `${i}\tparent ${i}`)}\\.`,
    'COPY public.child (id, parent, up) FROM stdin;',
    `${rows(2_000, (i) => `${i}\t${20_000 - (i % 10)}\t${i === 2_000 ? 1 : i + 1}`)}\\.`,
    '',
  ].join('\n');
  const input = join(directory, 'keys-first.sql.gz');
  writeFileSync(input, gzipSync(text));
  await server.createDatabase('keys_first');
  const result = await restoreDatabase({ connection: connectionFor(server, 'keys_first'), input, jobs: 4, pieceBytes: 1024 });
  assert.ok((result.parallel?.pieces ?? 0) > 100, 'loaded in pieces on workers');
  assert.deepEqual(await server.query('keys_first', 'SELECT (SELECT count(*) FROM public.parent)::int AS parents, (SELECT count(*) FROM public.child)::int AS children'), [{ parents: 20_000, children: 2_000 }]);
});
