import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor } from './round-trip.ts';

/**
 * A partitioned table's EXCLUDE constraint or key WITHOUT OVERLAPS is written as the parent's ALTER
 * TABLE without ONLY, which makes every partition's, and DO blocks give each partition's its source
 * name back. The names the server picks on restore are not the source's when partitions were
 * renamed, and one partition's source name may be what the server just gave another's index (index
 * names are per schema), or a pick may be the source name of another table's key made later: the
 * renames must not collide. A partition's own storage parameters are kept. Names needing quotes, in
 * another schema, 63 bytes long and two levels down are written too. PostgreSQL 18, for keys
 * WITHOUT OVERLAPS.
 */
let server: PostgresServer;
let dump: DumpFileResult;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-partition-key-names-'));
const long = (letter: string) => letter.repeat(63);

const fixture = `
CREATE EXTENSION btree_gist;
-- An archived partition renamed, and a new one given its old name: on restore the server gives the
-- new one's the archived one's source name.
CREATE TABLE rotated (k int, r int4range, EXCLUDE USING gist (k WITH =, r WITH &&)) PARTITION BY LIST (k);
CREATE TABLE rotated_current PARTITION OF rotated FOR VALUES IN (1);
ALTER TABLE rotated_current RENAME TO rotated_archive;
CREATE TABLE rotated_current PARTITION OF rotated FOR VALUES IN (2);
-- The same for a key WITHOUT OVERLAPS.
CREATE TABLE temporal (k int, r int4range, PRIMARY KEY (k, r WITHOUT OVERLAPS)) PARTITION BY LIST (k);
CREATE TABLE temporal_current PARTITION OF temporal FOR VALUES IN (1);
ALTER TABLE temporal_current RENAME TO temporal_archive;
CREATE TABLE temporal_current PARTITION OF temporal FOR VALUES IN (2);
-- Two partitions' names swapped.
CREATE TABLE swapped (k int, r int4range, EXCLUDE USING gist (k WITH =, r WITH &&)) PARTITION BY LIST (k);
CREATE TABLE swapped_a PARTITION OF swapped FOR VALUES IN (1);
CREATE TABLE swapped_b PARTITION OF swapped FOR VALUES IN (2);
ALTER TABLE swapped_a RENAME CONSTRAINT swapped_a_k_r_excl TO held;
ALTER TABLE swapped_b RENAME CONSTRAINT swapped_b_k_r_excl TO swapped_a_k_r_excl;
ALTER TABLE swapped_a RENAME CONSTRAINT held TO swapped_b_k_r_excl;
-- Names needing quotes, a partition in another schema, a renamed one.
CREATE SCHEMA "Odd ""s"".x";
CREATE TABLE "Odd ""s"".x"."Par t" (k int, r int4range, EXCLUDE USING gist (k WITH =, r WITH &&)) PARTITION BY LIST (k);
CREATE TABLE "Odd ""s"".x"."Chi'ld ""1""" PARTITION OF "Odd ""s"".x"."Par t" FOR VALUES IN (1);
CREATE TABLE public."Other Schema" PARTITION OF "Odd ""s"".x"."Par t" FOR VALUES IN (2);
ALTER TABLE "Odd ""s"".x"."Chi'ld ""1""" RENAME CONSTRAINT "Chi'ld ""1""_k_r_excl" TO "Wéird \\name ""q"" 'x'";
-- Two levels, the middle one renamed, storage parameters on the parent's (the middle one's index takes no ALTER INDEX ... SET).
CREATE TABLE levels (k int, j int, r int4range, EXCLUDE USING gist (k WITH =, j WITH =, r WITH &&) WITH (fillfactor = 90)) PARTITION BY LIST (k);
CREATE TABLE levels_1 PARTITION OF levels FOR VALUES IN (1) PARTITION BY LIST (j);
CREATE TABLE levels_1_1 PARTITION OF levels_1 FOR VALUES IN (1);
ALTER TABLE levels_1 RENAME CONSTRAINT levels_1_k_j_r_excl TO "Middle";
-- 63-byte names (the server truncates its picks).
CREATE TABLE ${long('l')} (k int, r int4range, EXCLUDE USING gist (k WITH =, r WITH &&)) PARTITION BY LIST (k);
CREATE TABLE ${long('m')} PARTITION OF ${long('l')} FOR VALUES IN (1);
-- The server's pick for a renamed partition's key is the source name of another table's key, which
-- the script makes after the partitioned table's.
CREATE TABLE a_picked (k int, r int4range, EXCLUDE USING gist (k WITH =, r WITH &&)) PARTITION BY LIST (k);
CREATE TABLE a_picked_current PARTITION OF a_picked FOR VALUES IN (1);
ALTER TABLE a_picked_current RENAME TO z_picked_old;
CREATE TABLE m_picked (x int CONSTRAINT z_picked_old_k_r_excl UNIQUE);
-- A partition's key with storage parameters of its own (the parent's key has others).
CREATE TABLE tuned (k int, r int4range, EXCLUDE USING gist (k WITH =, r WITH &&) WITH (fillfactor = 80)) PARTITION BY LIST (k);
CREATE TABLE tuned_1 PARTITION OF tuned FOR VALUES IN (1);
CREATE TABLE tuned_2 PARTITION OF tuned FOR VALUES IN (2);
ALTER INDEX tuned_1_k_r_excl SET (fillfactor = 50, buffering = 'on');
INSERT INTO rotated VALUES (1, '[1,5)'), (2, '[1,5)');
INSERT INTO temporal VALUES (1, '[1,5)'), (2, '[1,5)');
`;

const names = `SELECT c.conrelid::regclass::text AS "table", c.conname AS name, c.conindid::regclass::text AS index, i.reloptions AS options
                 FROM pg_catalog.pg_class i JOIN pg_catalog.pg_constraint c ON i.oid = c.conindid JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
                WHERE c.contype IN ('x', 'p', 'u') AND n.nspname IN ('public', 'Odd "s".x') ORDER BY 1, 2`;

before(async () => {
  server = await startPostgres('18');
  await server.createDatabase('source');
  await server.psql('source', fixture);
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'names.sql.gz'), jobs: 1 });
});
after(async () => {
  await server?.stop();
});

test('psql --single-transaction with ON_ERROR_STOP restores every partition key under its source name, with its own storage parameters', async () => {
  assert.deepEqual(dump.unsupportedObjects, []);
  await server.createDatabase('by_psql');
  await server.psql('by_psql', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
  assert.deepEqual(await server.query('by_psql', names), await server.query('source', names));
});

test('restore-db --jobs 4, and --clean over it, restore them under their source names and storage parameters', async () => {
  await server.createDatabase('by_jobs');
  const connection = connectionFor(server, 'by_jobs');
  await restoreDatabase({ connection, input: dump.path, jobs: 4 });
  assert.deepEqual(await server.query('by_jobs', names), await server.query('source', names));
  await restoreDatabase({ connection, input: dump.path, clean: true, singleTransaction: false, jobs: 4 });
  assert.deepEqual(await server.query('by_jobs', names), await server.query('source', names));
});
