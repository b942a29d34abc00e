import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor, restoreStages, restoreThreeWays, type RestoreStage } from './round-trip.ts';

/**
 * PostgreSQL 18's NOT NULL constraints where a NOT VALID one of a parent (added after the data, by
 * an ALTER that reaches the children) meets a child's own, as PostgreSQL 18's regression tests
 * leave them for pg_upgrade. Each failed the restore (pg_dump 18's too for the first):
 * - a child attached with its own NOT VALID NOT NULL under a parent with another one: the parent's
 *   ALTER made the child's first, and the child's ADD CONSTRAINT failed ("already exists");
 * - a child whose first parent's NOT NULL is NOT VALID and whose second parent's is valid: its
 *   constraint comes from the second parent at CREATE TABLE, under that parent's name, so the
 *   VALIDATE of the source's name failed;
 * - a partition that had its own NOT NULL when it was attached: the parent's ALTER made one under
 *   the parent's name, so the VALIDATE of the partition's name failed.
 * Children whose own NOT NULL on an inherited column has another name than the parent's (given
 * at CREATE TABLE, or by a PRIMARY KEY of their own), or whose parent's is NOT VALID, came back
 * under the parent's name or the default one: SET NOT NULL after the CREATE named them.
 * Two differences stay, as with pg_dump's restore, since no restore can give both: the two-parent
 * child's constraint has the second parent's name, and the partition's keeps its name but stays
 * its own (conislocal) after the parent's ALTER merges into it.
 */
const fixture = `
  CREATE TABLE nv_parent (a integer);
  ALTER TABLE nv_parent ADD CONSTRAINT nv_parent_nn NOT NULL a NOT VALID;
  CREATE TABLE nv_child (a integer);
  INSERT INTO nv_child VALUES (NULL);
  ALTER TABLE nv_child ADD CONSTRAINT nv_child_nn NOT NULL a NOT VALID;
  ALTER TABLE nv_child INHERIT nv_parent;

  CREATE TABLE first_parent (a integer);
  ALTER TABLE first_parent ADD NOT NULL a NOT VALID;
  CREATE TABLE second_parent (a integer NOT NULL);
  CREATE TABLE two_parents () INHERITS (first_parent, second_parent);

  CREATE TABLE measured (a integer, b integer) PARTITION BY LIST (a);
  ALTER TABLE measured ADD CONSTRAINT measured_a_nn NOT NULL a NOT VALID;
  CREATE TABLE measured_1 (a integer CONSTRAINT measured_1_own NOT NULL, b integer);
  ALTER TABLE measured ATTACH PARTITION measured_1 FOR VALUES IN (1);
  INSERT INTO measured VALUES (1, 1);

  CREATE TABLE later_parent (a integer);
  CREATE TABLE later_child () INHERITS (later_parent);
  ALTER TABLE later_child ADD CONSTRAINT later_nn NOT NULL a;
  ALTER TABLE later_parent ADD CONSTRAINT later_nn NOT NULL a NOT VALID;

  CREATE TABLE keyed (a integer PRIMARY KEY);
  CREATE TABLE keyed_child (PRIMARY KEY (a)) INHERITS (keyed);
  CREATE TABLE named_child (CONSTRAINT named_child_own NOT NULL a) INHERITS (keyed);
`;

let server: PostgresServer;
let dump: DumpFileResult;
let restored: Record<RestoreStage, { error: string | null; fingerprint: string[]; notNull: string[] }>;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-not-null-18-'));
const notNullQuery = `SELECT c.conrelid::regclass::text || ' ' || c.conname || CASE WHEN c.convalidated THEN '' ELSE ' NOT VALID' END AS line
                        FROM pg_constraint c WHERE c.contype = 'n' AND c.connamespace = 'public'::regnamespace ORDER BY 1`;

before(async () => {
  server = await startPostgres('18');
  await server.createDatabase('source');
  await server.psql('source', fixture);
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'dump.sql.gz') });
  restored = await restoreThreeWays(server, dump, async (database) => ({
    notNull: (await server.query<{ line: string }>(database, notNullQuery)).map((row) => row.line),
  }));
});
after(async () => {
  await server?.stop();
});

test('PG 18: NOT VALID NOT NULL of parents meeting their children\'s own restore without errors, with pg_dump\'s two unavoidable differences', async () => {
  const source = (await server.query<{ line: string }>('source', notNullQuery)).map((row) => row.line);
  for (const stage of restoreStages) {
    assert.equal(restored[stage].error, null, `${stage}: restore`);
    assert.deepEqual(
      restored[stage].notNull,
      source.map((line) => line.replace('two_parents first_parent_a_not_null', 'two_parents second_parent_a_not_null')).sort(),
      `${stage}: the NOT NULL constraints (names and validity)`,
    );
    assert.deepEqual(
      restored[stage].fingerprint.sort(),
      [
        'table constraint first_parent_a_not_null on public.two_parents: missing from the restored database',
        'table constraint measured_1_own on public.measured_1: conislocal (dump: false, restored: true)',
        "table constraint second_parent_a_not_null on public.two_parents: in the restored database but not in the dump's fingerprint",
      ],
      `${stage}: catalog fingerprint`,
    );
  }
});
