import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor, fingerprintDifferences, verifyProblems } from './round-trip.ts';

/**
 * Hash partitioning on a key whose hash depends on an enum's OIDs, which a restore changes: copied
 * back into the partition it was in, a row no longer fits it ("violates partition constraint").
 * As pg_dump (which forces --load-via-partition-root for them), the rows of such partitions are
 * loaded through the root of their tree, which routes each one where its new hash puts it. Not only
 * a bare enum column (pg_dump's own check, enum_ops): an array, composite, range or domain holding
 * one hashes its OIDs too. Keys hashing no enum are loaded into their partitions as before.
 * PostgreSQL 15: its image has pg_dump, whose data entries for the enum column are the reference.
 */
let server: PostgresServer;
let dump: DumpFileResult;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-hash-keys-'));

const fixture = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE mood_pair AS (m mood, n integer);
CREATE TYPE mood_range AS RANGE (subtype = mood);
CREATE DOMAIN moods AS mood[];
-- Each table: three partitions, a row for each mood (so a restore through new enum OIDs moves some).
CREATE FUNCTION make_tree(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR r IN 0..2 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS 3, REMAINDER %s)', name || '_' || r, name, r);
  END LOOP;
END $$;
CREATE TABLE by_enum (m mood, k integer) PARTITION BY HASH (m);
CREATE TABLE by_enum_array (m mood[], k integer) PARTITION BY HASH (m);
CREATE TABLE by_composite (m mood_pair, k integer) PARTITION BY HASH (m);
CREATE TABLE by_range (m mood_range, k integer) PARTITION BY HASH (m);
CREATE TABLE by_domain (m moods, k integer) PARTITION BY HASH (m);
CREATE TABLE by_array_expression (m mood, k integer) PARTITION BY HASH ((ARRAY[m]));
CREATE TABLE by_two_levels (k integer, m mood[]) PARTITION BY LIST (k);
CREATE TABLE by_two_levels_1 PARTITION OF by_two_levels FOR VALUES IN (1, 2, 3) PARTITION BY HASH (m);
-- Written: no enum in the hash.
CREATE TABLE by_int_array (m integer[], k integer) PARTITION BY HASH (m);
CREATE TABLE by_int_expression (m mood, k integer) PARTITION BY HASH ((k * 2));
CREATE TABLE by_enum_range (m mood, k integer) PARTITION BY RANGE (m);
CREATE TABLE by_enum_range_low PARTITION OF by_enum_range FOR VALUES FROM (MINVALUE) TO ('happy');
CREATE TABLE by_enum_range_high PARTITION OF by_enum_range FOR VALUES FROM ('happy') TO (MAXVALUE);
SELECT make_tree(name) FROM unnest(ARRAY['by_enum', 'by_enum_array', 'by_composite', 'by_range', 'by_domain', 'by_array_expression',
  'by_two_levels_1', 'by_int_array', 'by_int_expression']) AS name;
INSERT INTO by_enum SELECT m, 1 FROM unnest(enum_range(NULL::mood)) AS u(m);
INSERT INTO by_enum_array SELECT ARRAY[m], 1 FROM unnest(enum_range(NULL::mood)) AS u(m);
INSERT INTO by_composite SELECT ROW(m, 1)::mood_pair, 1 FROM unnest(enum_range(NULL::mood)) AS u(m);
INSERT INTO by_range SELECT mood_range(m, m, '[]'), 1 FROM unnest(enum_range(NULL::mood)) AS u(m);
INSERT INTO by_domain SELECT ARRAY[m], 1 FROM unnest(enum_range(NULL::mood)) AS u(m);
INSERT INTO by_array_expression SELECT m, 1 FROM unnest(enum_range(NULL::mood)) AS u(m);
INSERT INTO by_two_levels SELECT 1, ARRAY[m] FROM unnest(enum_range(NULL::mood)) AS u(m);
INSERT INTO by_int_array SELECT ARRAY[g], g FROM generate_series(1, 12) g;
INSERT INTO by_int_expression SELECT m, g FROM generate_series(1, 3) g, unnest(enum_range(NULL::mood)) AS u(m);
INSERT INTO by_enum_range SELECT m, 1 FROM unnest(enum_range(NULL::mood)) AS u(m);
`;

/** The roots' rows in one string each (where they sit is up to the hashes), and which partition holds how many. */
async function treeContents(database: string): Promise<{ rows: unknown; placement: unknown }> {
  const roots = ['by_enum', 'by_enum_array', 'by_composite', 'by_range', 'by_domain', 'by_array_expression', 'by_two_levels', 'by_int_array', 'by_int_expression', 'by_enum_range'];
  const rows = await server.query(
    database,
    roots.map((root) => `SELECT '${root}' AS root, count(*)::int AS count, string_agg(t::text, ' ' ORDER BY t::text) AS rows FROM public.${root} t`).join(' UNION ALL '),
  );
  const placement = await server.query(
    database,
    roots.map((root) => `SELECT tableoid::regclass::text AS partition, count(*)::int AS count FROM public.${root} GROUP BY 1`).join(' UNION ALL ') + ' ORDER BY 1',
  );
  return { rows, placement };
}

/** A database whose enums get other OIDs than the source's: another enum was made and dropped first. */
async function shiftedDatabase(name: string): Promise<void> {
  await server.createDatabase(name);
  await server.psql(name, `CREATE TYPE public.shift AS ENUM ('a', 'b', 'c', 'd', 'e', 'f', 'g'); DROP TYPE public.shift;`);
}

before(async () => {
  server = await startPostgres('15');
  await server.createDatabase('source');
  await server.psql('source', fixture);
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'hash.sql.gz'), jobs: 1 });
});
after(async () => {
  await server?.stop();
});

test('the partitions under a hash that depends on an enum are loaded through their tree\'s root, as pg_dump; the others into themselves', async () => {
  assert.deepEqual(dump.unsupportedObjects, []);
  const text = gunzipSync(readFileSync(dump.path)).toString();
  const viaRoot = ['by_enum', 'by_enum_array', 'by_composite', 'by_range', 'by_domain', 'by_array_expression'].flatMap((table) => [0, 1, 2].map((r) => [`${table}_${r}`, table]));
  for (const [partition, root] of [...viaRoot, ...[0, 1, 2].map((r) => [`by_two_levels_1_${r}`, 'by_two_levels'])]) {
    assert.match(text, new RegExp(`-- Data for Name: ${partition}; Type: TABLE DATA;[^\n]*\n--\n\n-- load via partition root public\\.${root}\n\nCOPY public\\.${root} \\(`), partition);
  }
  for (const partition of ['by_int_array_0', 'by_int_expression_1', 'by_enum_range_low']) assert.match(text, new RegExp(`\nCOPY public\\.${partition} \\(`));
  // pg_dump's entries for a bare enum column (the one key it checks).
  const entries = (script: string) => [...script.matchAll(/^-- Data for Name: by_enum_\d; [\s\S]*?^\\\.$/gm)].map((match) => match[0]);
  const reference = entries(await server.pgDump('source', ['--no-owner']));
  assert.equal(reference.length, 3);
  assert.deepEqual(entries(text), reference);
  assert.deepEqual(
    dump.tables.filter((table) => table.name.startsWith('by_enum_')).map((table) => [table.name, table.loadedViaRoot]),
    [['by_enum_0', { schema: 'public', name: 'by_enum' }], ['by_enum_1', { schema: 'public', name: 'by_enum' }], ['by_enum_2', { schema: 'public', name: 'by_enum' }],
      ['by_enum_array_0', { schema: 'public', name: 'by_enum_array' }], ['by_enum_array_1', { schema: 'public', name: 'by_enum_array' }], ['by_enum_array_2', { schema: 'public', name: 'by_enum_array' }],
      ['by_enum_range_high', undefined], ['by_enum_range_low', undefined]],
  );
});

test('psql restores every row into a database where the enums have other OIDs, and again over itself', async () => {
  const expected = await treeContents('source');
  await shiftedDatabase('by_psql');
  const restore = () => server.psql('by_psql', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
  await restore();
  assert.deepEqual(await fingerprintDifferences(server, 'by_psql', dump), []);
  const restored = await treeContents('by_psql');
  assert.deepEqual(restored.rows, expected.rows);
  // The new OIDs moved rows to other partitions: copied into their old ones, they would have failed the restore.
  assert.notDeepEqual(restored.placement, expected.placement);
  await restore();
  assert.deepEqual((await treeContents('by_psql')).rows, expected.rows);
});

test('restore-db --jobs 1 and --jobs 4 restore every row, and --clean over the copy', async () => {
  const expected = (await treeContents('source')).rows;
  for (const jobs of [1, 4]) {
    await shiftedDatabase(`by_jobs_${jobs}`);
    const connection = connectionFor(server, `by_jobs_${jobs}`);
    await restoreDatabase({ connection, input: dump.path, jobs, pieceBytes: 16 });
    assert.deepEqual((await treeContents(`by_jobs_${jobs}`)).rows, expected, `--jobs ${jobs}`);
    await restoreDatabase({ connection, input: dump.path, clean: true, singleTransaction: false, jobs, pieceBytes: 16 });
    assert.deepEqual((await treeContents(`by_jobs_${jobs}`)).rows, expected, `--clean --jobs ${jobs}`);
  }
});

test('a dump on four connections writes the same script', async () => {
  const parallel = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'jobs.sql.gz'), jobs: 4, tablePieceBytes: 16 });
  assert.deepEqual(parallel.tables, dump.tables);
  assert.equal(gunzipSync(readFileSync(parallel.path)).toString(), gunzipSync(readFileSync(dump.path)).toString());
});

test('verify compares the rows of the partitions loaded through a root together: the backup passes, and a lost row is found', async () => {
  assert.deepEqual(await verifyProblems(server, 'source', dump, directory), []);
  const changed = dump.tables.map((table) => (table.name === 'by_enum_2' ? { ...table, rows: table.rows + 1 } : table));
  assert.deepEqual(await verifyProblems(server, 'source', { ...dump, tables: changed }, directory), ['the 3 partition(s) of public.by_enum loaded through it: the restored ones hold 3 rows (manifest: 4)']);
  const otherRows = dump.tables.map((table) => (table.name === 'by_enum_0' ? { ...table, sha256: dump.tables.find((t) => t.name === 'by_enum_1')!.sha256 } : table));
  assert.match((await verifyProblems(server, 'source', { ...dump, tables: otherRows }, directory)).join('\n'), /public\.by_enum loaded through it: .*, and their rows differ from the manifest/);
});

test('partitions attached with their columns in another order than the root\'s: restored, and verify passes the backup', async () => {
  // A restore routes each row to the partition its new hash picks: copied in each partition's own
  // column order, a row came back as other text there, and verify failed a good backup.
  await server.createDatabase('orders');
  await server.psql(
    'orders',
    `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'meh', 'wow');
     CREATE TABLE t (m mood, k integer, s text) PARTITION BY HASH (m);
     CREATE TABLE t_0 (s text, k integer, m mood);
     CREATE TABLE t_1 (k integer, m mood, s text);
     CREATE TABLE t_2 PARTITION OF t FOR VALUES WITH (MODULUS 3, REMAINDER 2);
     ALTER TABLE t ATTACH PARTITION t_0 FOR VALUES WITH (MODULUS 3, REMAINDER 0);
     ALTER TABLE t ATTACH PARTITION t_1 FOR VALUES WITH (MODULUS 3, REMAINDER 1);
     INSERT INTO t SELECT m, g, 'row ' || g FROM unnest(enum_range(NULL::mood)) AS u(m), generate_series(1, 3) g;`,
  );
  const orders = await dumpToFile({ connection: connectionFor(server, 'orders'), path: join(directory, 'orders.sql.gz'), jobs: 1 });
  assert.deepEqual(orders.unsupportedObjects, []);
  const rows = `SELECT string_agg(t::text, ' ' ORDER BY t::text) AS rows FROM public.t`;
  await shiftedDatabase('orders_restored');
  await server.psql('orders_restored', createReadStream(orders.path).pipe(createGunzip()), ['--single-transaction']);
  assert.deepEqual(await server.query('orders_restored', rows), await server.query('orders', rows));
  assert.deepEqual(await verifyProblems(server, 'orders', orders, directory), []);
});
