import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { captureFingerprint, compareFingerprints, describeDifference, loadFingerprint } from '../../src/postgres/fingerprint.ts';
import { describeObject, inventoryObjects, type InventoryObject } from '../../src/postgres/inventory.ts';
import { runCommand, startPostgres, type CommandOutput, type PostgresServer } from '../support/postgres.ts';
import { buildRegressionDatabase, copySubscriptions, dropListedObjects } from '../support/regress.ts';
import { describeSchema } from '../support/schema.ts';
import { comparableSchemaDump, connectionFor, withoutAttver } from './round-trip.ts';

/**
 * Catalog fingerprint differences (issue 11 item 2) between the same two databases that pg_dump
 * cannot avoid either (pg_dump -s does not show them: it prints an inheritance child's own columns
 * only, while the fingerprint compares whole catalog rows, attnum included). Exactly these are
 * expected; anything else fails. The same on 14, 15, 16, 17 and 18. pg_dump 18.6's own round trip
 * of the database on 18 (--clean --if-exists, psql) has all of them too, plus the shell operator
 * and the column positions of gtestxx_4 and test_type_diff2_c1/_c2 (40 in all; 0 restore errors,
 * 12 pg_dump -s lines, those three tables' columns), so none of them is ours to fix.
 */
const knownFingerprintDifferences = [
  // A column added to a parent after its inheritance child existed is appended to the child, after
  // the child's own columns; CREATE TABLE ... INHERITS (the only way to get an inherited-only
  // column, attislocal false) puts the parent's columns first. Recreating that order would take
  // replaying the parent's history (create it without the later columns, then ADD COLUMN once the
  // children exist), which no dump does. The regression tests do this to a_star (b_star..f_star
  // inherit it), renamecolumn (renamecolumnchild, renamecolumnanother) and test_type_diff.
  ...[
    ['b_star.a', 4, 3], ['b_star.bb', 3, 4], ['c_star.a', 4, 3], ['c_star.cc', 3, 4],
    ['d_star.a', 6, 3], ['d_star.bb', 3, 4], ['d_star.cc', 4, 5], ['d_star.dd', 5, 6],
    ['e_star.a', 6, 3], ['e_star.cc', 3, 4], ['e_star.e', 5, 6], ['e_star.ee', 4, 5],
    ['f_star.a', 8, 3], ['f_star.cc', 3, 4], ['f_star.e', 7, 6], ['f_star.ee', 4, 5], ['f_star.f', 6, 8], ['f_star.ff', 5, 7],
    ['renamecolumnanother.a', 2, 3], ['renamecolumnanother.c', 3, 4], ['renamecolumnanother.w', 4, 2],
    ['renamecolumnchild.a', 2, 3], ['renamecolumnchild.w', 3, 2],
    ['test_type_diff_c.extra', 2, 3], ['test_type_diff_c.f2', 3, 2],
  ].map(([column, source, restored]) => `table column public.${column}: position (dump: ${source}, restored: ${restored})`),
  // A foreign key on a partitioned table is cloned onto each partition; neither pg_dump nor this
  // dump writes the clones (conparentid <> 0): the parent's ALTER TABLE makes them again, named by
  // the restore's order. A clone keeps another name only through history: fk_partitioned_fk_4 had
  // its own foreign key before it was attached (the key was merged into a clone under its old name).
  // (The copies made for the partitions of a referenced table are identified by key and partition.)
  ...['fk_partitioned_fk_4', 'fk_partitioned_fk_4_1', 'fk_partitioned_fk_4_2'].flatMap((table) => [
    `table constraint fk_partitioned_fk_4_a_b_fkey on public.${table}: missing from the restored database`,
    `table constraint fk_partitioned_fk_a_b_fkey on public.${table}: in the restored database but not in the dump's fingerprint`,
  ]),
];

/**
 * Issue 11, item 3, on PostgreSQL's regression database, on server `version` (regress.test.ts: 15,
 * or REGRESS_PG=N; regress-pg14 and regress-pg18.test.ts). The dump runs with --allow-unsupported
 * and --owner (owners and privileges too, so the comparison below needs no -O/-x). The expected
 * result is the source without the objects the dump listed as unsupported: a copy of the source
 * (CREATE DATABASE ... TEMPLATE keeps every OID, so the dump's list names the copy's objects
 * exactly) with each of them dropped, CASCADE. `pg_dump --schema-only` of that copy must equal
 * `pg_dump --schema-only` of the restore, and a second restore over the first (the --clean path)
 * must succeed and change nothing.
 * Before comparing, comparableSchemaDump removes only lines that differ between any two databases:
 * the random \restrict key, and the pg_attver column option this machine's PostgreSQL build stamps
 * on every new column itself (pg_dump's own round trip differs there too).
 *
 * pg_dump refuses a server newer than itself, and the postgres:16..18 images here carry no
 * pg_dump: without one as new as the server (TEST_PG_DUMP, see test/support/postgres.ts) the
 * pg_dump -s comparison is skipped and the restores are compared by the server-side description
 * (test/support/schema.ts) instead. The catalog fingerprint, which sees every catalog row, is
 * compared on every version.
 *
 * pg_dump's own round trip of this database (--clean --if-exists, psql) has 1 restore error and
 * about 30 differing lines; none of them is excluded here, because this dump avoids them: the cast
 * integer AS casttesttype, whose function returns text, fails on pg_dump's restore (CREATE CAST
 * checks that the function's result type binary-coerces to the target, which it does only through
 * the cast text AS casttesttype, written after it by pg_dump and before it here), and three inheritance children come back with their columns in the parent's order
 * (CREATE TABLE ... INHERITS puts them first): gtestxx_4 and test_type_diff2_c1/_c2 are
 * attached after creation here, keeping their order.
 *
 * Runs on 14 and 15 (pg_dump 15 as the reference) and 16, 17 and 18 (pg_dump 18.6), each against pg_dump -s:
 * no restore errors, 0 lines differing, the fingerprint only in knownFingerprintDifferences. The
 * one unsupported object on every version is the shell operator (pg_dump leaves it out too).
 * This corpus is PostgreSQL 16's: on 18 it was also run by hand with the tables PostgreSQL 18's own
 * tests leave for pg_upgrade (virtual generated columns, NOT NULL constraints NOT VALID, NO INHERIT
 * and inherited, NOT ENFORCED keys, temporal keys) added to it: no restore errors (pg_dump 18.6's
 * own restore has 2), 4 pg_dump -s lines (a child attached with its columns in another order, whose
 * parent got a column after), and 8 fingerprint differences beyond the known ones, all of them in
 * pg_dump 18.6's own round trip too (which has 27 more); not-null-inheritance-pg18.test.ts holds
 * what that run found.
 */
export function defineRegressionTests(version: string): void {
  let server: PostgresServer;
  let dump: DumpFileResult;
  let sourceInventory: InventoryObject[];
  let firstRestore: CommandOutput;
  let expectedSchema: string[];
  let restoredSchema: string[];
  const directory = mkdtempSync(join(tmpdir(), `immich-backup-regress-${version}-`));
  const withoutReason = (object: InventoryObject) => describeObject({ ...object, reason: undefined });

  async function inventory(database: string): Promise<InventoryObject[]> {
    const client = await server.connect(database);
    try {
      await client.query(`SELECT pg_catalog.set_config('search_path', '', false)`);
      return await inventoryObjects(client);
    } finally {
      await client.end();
    }
  }

  /** `gunzip < dump | psql -v ON_ERROR_STOP=1`, as the README tells users to restore. */
  async function restore(database: string): Promise<CommandOutput> {
    return server.runClient('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', database], createReadStream(dump.path).pipe(createGunzip()));
  }

  async function fingerprintOf(database: string) {
    const client = await server.connect(database);
    try {
      return withoutAttver(await captureFingerprint(client, { owner: true }));
    } finally {
      await client.end();
    }
  }

  /**
   * pg_dump -s where pg_dump reads this server, else the server-side description (sorted lines, so
   * order is not compared) without the foreign keys cloned onto partitions (conparentid <> 0):
   * pg_dump -s does not show those either, as they come back from the parent's key under the names
   * the restore's order gives them (see knownFingerprintDifferences).
   */
  async function schemaOf(database: string): Promise<string[]> {
    if (server.pgDumpReadsServer) return comparableSchemaDump(await server.pgDump(database, ['--schema-only']));
    const client = await server.connect(database);
    try {
      const { rows } = await client.query<{ prefix: string }>(
        `SELECT 'constraint ' || conrelid::regclass::text || ' - ' || conname || ' ' AS prefix FROM pg_catalog.pg_constraint WHERE contype = 'f' AND conparentid <> 0`,
      );
      const clones = rows.map((row) => row.prefix);
      return (await describeSchema(client)).filter((line) => !clones.some((prefix) => line.startsWith(prefix)));
    } finally {
      await client.end();
    }
  }

  /** The changed lines (`-expected` / `+restored`) of an ordered diff: column order and entry order count too. */
  async function changedLines(expected: string[], actual: string[]): Promise<string[]> {
    const expectedPath = join(directory, 'expected.sql');
    const actualPath = join(directory, 'actual.sql');
    writeFileSync(expectedPath, `${expected.join('\n')}\n`);
    writeFileSync(actualPath, `${actual.join('\n')}\n`);
    const result = await runCommand('diff', ['--unchanged-line-format=', '--old-line-format=-%L', '--new-line-format=+%L', expectedPath, actualPath]);
    if (result.code > 1) throw new Error(`diff failed: ${result.stderr}`);
    return result.stdout.split('\n').filter((line) => line !== '');
  }

  /** Every table's rows, order-independent: a restore on several connections may store them in another order. */
  async function contentsOf(database: string): Promise<string[]> {
    const client = await server.connect(database);
    try {
      const lines: string[] = [];
      for (const table of dump.tables) {
        const name = `${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`;
        const { rows } = await client.query<{ n: string; hash: string | null }>(`SELECT count(*)::text AS n, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS hash FROM ONLY ${name} t`);
        lines.push(`${table.schema}.${table.name} ${rows[0]!.n} ${rows[0]!.hash}`);
      }
      return lines;
    } finally {
      await client.end();
    }
  }

  before(async () => {
    server = await startPostgres(version);
    await buildRegressionDatabase(server, 'regression');
    dump = await dumpToFile({
      connection: connectionFor(server, 'regression'),
      path: join(directory, 'regression.sql.gz'),
      allowUnsupported: true,
      owner: true,
    });
    sourceInventory = await inventory('regression');
    await server.query('postgres', 'CREATE DATABASE expected TEMPLATE regression');
    const expected = await server.connect('expected');
    const source = await server.connect('regression');
    try {
      await dropListedObjects(expected, dump.unsupportedObjects);
      await copySubscriptions(source, expected);
    } finally {
      await expected.end();
      await source.end();
    }
    expectedSchema = await schemaOf('expected');
    await server.createDatabase('restored');
    firstRestore = await restore('restored');
    restoredSchema = await schemaOf('restored');
  }, { timeout: 1_200_000 }); // building the regression database is most of it: ~2 min alone, 7 min on a machine under full load
  after(async () => {
    await server?.stop();
  });

  test(`regression database (PG ${version}): the dump restores with gunzip | psql -v ON_ERROR_STOP=1`, () => {
    assert.equal(firstRestore.code, 0, firstRestore.stderr);
    assert.deepEqual(errorsIn(firstRestore), []);
  });

  test(`regression database (PG ${version}): nothing is missing after the restore that the dump did not list as unsupported`, async () => {
    const restored = new Set((await inventory('restored')).map(withoutReason));
    const listed = new Set(dump.unsupportedObjects.map(withoutReason));
    const missingUnlisted = sourceInventory.map(withoutReason).filter((name) => !restored.has(name) && !listed.has(name));
    assert.deepEqual(missingUnlisted, [], 'objects lost without being named');
    assert.ok(dump.unsupportedObjects.length > 0, 'the regression database has objects the dump does not support');
  });

  test(`regression database (PG ${version}): pg_dump -s (or the server's description, see above) of the source without the unsupported objects equals the restore's`, async () => {
    const lines = await changedLines(expectedSchema, restoredSchema);
    const byKind = new Map<string, number>();
    for (const object of dump.unsupportedObjects) byKind.set(object.kind, (byKind.get(object.kind) ?? 0) + 1);
    const compared = server.pgDumpReadsServer ? 'pg_dump -s lines' : 'server-side description lines (no pg_dump reads this server)';
    // The figures issue 11 asks for (pg_dump --clean --if-exists of the whole database: 1 restore error, 30 diff lines).
    console.log(
      [
        `regression database (PG ${dump.serverVersion}): ${sourceInventory.length} objects in the inventory`,
        `  written by the dump: ${sourceInventory.length - dump.unsupportedObjects.length} (${dump.objectCount} script entries)`,
        `  listed as unsupported (incl. dependents): ${dump.unsupportedObjects.length}`,
        `  unsupported by kind: ${[...byKind].map(([kind, count]) => `${kind} ${count}`).join(', ')}`,
        `  ${compared} differing, source without unsupported vs restored: ${lines.length}`,
        `  tables with data: ${dump.tables.length}`,
      ].join('\n'),
    );
    assert.deepEqual(lines, [], 'the schema of the restore differs from the source without the unsupported objects');
  });

  test(`regression database (PG ${version}): the catalog fingerprints of the same two databases differ only in what pg_dump cannot restore either`, async () => {
    const restored = await fingerprintOf('restored');
    const differences = compareFingerprints(await fingerprintOf('expected'), restored).map(describeDifference);
    console.log(`  catalog fingerprint differences, source without unsupported vs restored: ${differences.length} (all known)`);
    assert.deepEqual(differences.sort(), [...knownFingerprintDifferences].sort());
    // What verify does: the fingerprint the dump stored (unsupported objects left out) against the restore.
    const stored = compareFingerprints(withoutAttver(loadFingerprint(dump.fingerprint)), restored).map(describeDifference);
    assert.deepEqual(stored.sort(), [...knownFingerprintDifferences].sort(), 'the fingerprint stored by the dump');
  });

  test(`regression database (PG ${version}): restore-db --jobs 4 restores what psql restores (schema, in pg_dump -s order where pg_dump reads the server; catalog fingerprint; every row)`, async () => {
    await server.createDatabase('restored_jobs');
    const result = await restoreDatabase({ connection: connectionFor(server, 'restored_jobs'), input: dump.path, jobs: 4, pieceBytes: 256 * 1024 });
    assert.ok(result.parallel !== undefined && result.parallel.ddl > 100 && result.parallel.mostAtOnce > 1, JSON.stringify(result.parallel));
    assert.deepEqual(await changedLines(restoredSchema, await schemaOf('restored_jobs')), [], 'the schema of the --jobs 4 restore differs from the psql restore');
    assert.deepEqual(compareFingerprints(await fingerprintOf('restored'), await fingerprintOf('restored_jobs')).map(describeDifference), []);
    assert.deepEqual(await contentsOf('restored_jobs'), await contentsOf('restored'));
  });

  test(`regression database (PG ${version}): a second restore over the first (--clean) has no errors and changes nothing`, async () => {
    const second = await restore('restored');
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(errorsIn(second), []);
    assert.deepEqual(await changedLines(restoredSchema, await schemaOf('restored')), [], 'the second restore changed the schema');
  });
}

const errorsIn = (output: CommandOutput) =>
  output.stderr.split('\n').filter((line) => line.includes('ERROR:')).map((line) => line.replace(/^psql:[^:]*:\d+: /, ''));
