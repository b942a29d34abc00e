import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { assertSameLines, comparableSchemaDump, connectionFor, describeBoth, fingerprintDifferences } from './round-trip.ts';

/** Partitioned tables, partitions and everything on them (see the file's comments). */
export const partitionsFixture = new URL('../fixtures/partitions.sql', import.meta.url);

/** Rows in every table of schema `part`, each counted without its partitions (ONLY): data lives in the leaves only. */
async function rowsPerTable(server: PostgresServer, database: string): Promise<string[]> {
  const tables = await server.query<{ name: string; kind: string }>(
    database,
    `SELECT c.oid::regclass::text AS name, c.relkind::text AS kind FROM pg_class c
      WHERE c.relnamespace = 'part'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  const counts: string[] = [];
  for (const table of tables) {
    const [row] = await server.query<{ count: string }>(database, `SELECT count(*)::text AS count FROM ONLY ${table.name}`);
    counts.push(`${table.name} (${table.kind}) ${row!.count}`);
  }
  return counts;
}

/**
 * The partitions fixture on one server version: dumped with owners and privileges, restored with
 * `gunzip | psql --single-transaction -v ON_ERROR_STOP=1` into an empty database and again over it
 * (the script's --clean), and with restore-db --jobs 4 into another database and again over it
 * with --clean. Every restored database has the source's schema (pg_dump -s where the machine's
 * pg_dump can read the server), catalog fingerprint, data, and rows in the same partitions.
 */
export function definePartitionTests(version: string, options: { pgDumpReadsServer: boolean }): void {
  let server: PostgresServer;
  let dump: DumpFileResult;
  const directory = mkdtempSync(join(tmpdir(), `immich-backup-partitions-${version}-`));

  before(async () => {
    server = await startPostgres(version);
    await server.query('postgres', 'CREATE ROLE fidelity_reader');
    await server.query('postgres', 'CREATE ROLE fidelity_writer');
    await server.createDatabase('source');
    await server.psql('source', readFileSync(partitionsFixture));
    dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'partitions.sql.gz'), owner: true });
  });
  after(async () => {
    await server?.stop();
  });

  /** Everything about `database` that must equal the source. */
  const assertLikeSource = async (database: string, what: string) => {
    if (options.pgDumpReadsServer) {
      const schema = async (name: string) => comparableSchemaDump(await server.pgDump(name, ['--schema-only']));
      assertSameLines(await schema(database), await schema('source'), `pg_dump --schema-only ${what}`);
    }
    const [restored, source] = [await describeBoth(server, database), await describeBoth(server, 'source')];
    assertSameLines(restored.schema, source.schema, `schema ${what}`);
    assertSameLines(restored.data, source.data, `data ${what}`);
    assert.deepEqual(await rowsPerTable(server, database), await rowsPerTable(server, 'source'), `rows per partition ${what}`);
    assert.deepEqual(await fingerprintDifferences(server, database, dump), [], `catalog fingerprint ${what}`);
  };

  test(`PG ${version}: partitioned tables are written, not refused: CREATE ... PARTITION BY, ATTACH PARTITION, ON ONLY indexes and their ATTACHes; rows only in the leaves`, async () => {
    assert.deepEqual(dump.unsupportedObjects, []);
    const text = await new Response(createReadStream(dump.path).pipe(createGunzip()) as unknown as ReadableStream).text();
    assert.match(text, /\)\nPARTITION BY LIST \(lower\(sensor\)\);/);
    assert.match(text, /ALTER TABLE ONLY part\.readings_ab ATTACH PARTITION part\.readings_ab_0 FOR VALUES WITH \(modulus 2, remainder 0\);/);
    assert.match(text, /ALTER TABLE ONLY part\.events ATTACH PARTITION part\.events_other DEFAULT;/);
    assert.match(text, /CREATE INDEX events_kind_idx ON ONLY part\.events USING btree \(kind\);/);
    assert.match(text, /ALTER INDEX part\.events_pkey ATTACH PARTITION part\.events_2024_pkey;/);
    assert.match(text, /ALTER TABLE part\.payments_low DISABLE TRIGGER payments_touch;/);
    // The partition with another column order keeps it, without its dropped column.
    assert.match(text, /CREATE TABLE part\.events_2025 \(\n    payload jsonb,\n    kind text DEFAULT 'late'::text NOT NULL,\n    happened date NOT NULL,\n    id bigint NOT NULL,/);
    assert.match(text, /COPY part\.events_2025 \(payload, kind, happened, id\) FROM stdin;/);
    for (const parent of ['events', 'readings', 'readings_ab', 'empty_parent', 'accounts', 'payments', 'tickets']) {
      assert.doesNotMatch(text, new RegExp(`COPY part\\.${parent} `), `no COPY of the partitioned table ${parent}`);
    }
    // The clones (a partition's FK, trigger or attached index) are not written twice, nor dropped on their own.
    assert.equal(text.match(/CREATE TRIGGER payments_touch /g)?.length, 1);
    assert.equal(text.match(/ADD CONSTRAINT payments_account_fkey /g)?.length, 1);
    assert.doesNotMatch(text, /DROP INDEX IF EXISTS part\.events_2024_kind_idx;/);
    assert.doesNotMatch(text, /DROP CONSTRAINT IF EXISTS events_2024_pkey;/);
  });

  test(`PG ${version}: gunzip | psql restores partitions identical, into an empty database and over itself`, async () => {
    await server.createDatabase('by_psql');
    const restore = () => server.psql('by_psql', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
    await restore();
    await assertLikeSource('by_psql', 'after psql into an empty database');
    await restore();
    await assertLikeSource('by_psql', 'after psql over itself');
  });

  test(`PG ${version}: the catalog fingerprint sees partitioning: a partition detached with its indexes and keys, another bound, another default partition`, async () => {
    await server.query('postgres', 'CREATE DATABASE reshaped TEMPLATE by_psql');
    await server.psql(
      'reshaped',
      `ALTER TABLE part.events DETACH PARTITION part.events_2025;
       ALTER TABLE part.tickets DETACH PARTITION part.tickets_rest;
       ALTER TABLE part.tickets ATTACH PARTITION part.tickets_rest FOR VALUES IN ('closed', NULL);`,
    );
    const differences = await fingerprintDifferences(server, 'reshaped', dump);
    for (const expected of [
      'table part.events_2025: inherits (dump: ["part.events"], restored: none); relispartition (dump: true, restored: false); relpartbound',
      'index part.events_2025_kind_idx: inherits (dump: ["part.events_kind_idx"], restored: none)',
      'table constraint events_2025_pkey on part.events_2025: coninhcount (dump: 1, restored: 0); conislocal (dump: false, restored: true)',
      'table column part.events_2025.kind: attinhcount (dump: 1, restored: 0); attislocal (dump: false, restored: true)',
      `table part.tickets_rest: relpartbound (dump: "DEFAULT", restored: "FOR VALUES IN ('closed', NULL)")`,
      'table part.tickets: default_partition (dump: "part.tickets_rest", restored: none)',
    ]) {
      assert.ok(differences.some((line) => line.startsWith(expected)), `${expected}\n${differences.join('\n')}`);
    }
  });

  test(`PG ${version}: restore-db --jobs 4 keeps the partition statements in order: identical, and again with --clean`, async () => {
    await server.createDatabase('by_jobs');
    const first = await restoreDatabase({ connection: connectionFor(server, 'by_jobs'), input: dump.path, jobs: 4, pieceBytes: 1024 });
    assert.ok((first.parallel?.ddl ?? 0) > 10, 'keys and indexes were built on workers');
    assert.ok((first.parallel?.pieces ?? 0) > 10, 'partitions were loaded in pieces on workers');
    await assertLikeSource('by_jobs', 'after restore-db --jobs 4');
    await restoreDatabase({ connection: connectionFor(server, 'by_jobs'), input: dump.path, clean: true, singleTransaction: false, jobs: 4, pieceBytes: 1024 });
    await assertLikeSource('by_jobs', 'after restore-db --clean --jobs 4');
  });
}
