import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { collationsFixture } from './ddl-fidelity.ts';
import { assertSameLines, comparableSchemaDump, connectionFor, describeBoth, fingerprintDifferences } from './round-trip.ts';

/**
 * Kinds whose catalog is different on PostgreSQL 14 (the fidelity round trips cover 15 and 18):
 * the collations fixture (14 keeps an ICU collation's locale in collcollate and collctype; 15
 * moved it to colliculocale, 17 to colllocale) and a publication's tables (no column lists or row
 * filters before 15). Dumped with --owner, restored into an empty database and over itself,
 * pg_dump -s and the catalog fingerprint equal.
 */
let server: PostgresServer;
let dump: DumpFileResult;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-catalog-14-'));

before(async () => {
  server = await startPostgres('14');
  await server.query('postgres', 'CREATE ROLE fidelity_writer');
  await server.createDatabase('source');
  await server.psql('source', 'CREATE SCHEMA fid');
  await server.psql('source', readFileSync(collationsFixture));
  await server.psql('source', 'CREATE TABLE fid.notes (id integer PRIMARY KEY); CREATE PUBLICATION fid_pub FOR TABLE fid.labels, fid.notes');
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'collations.sql.gz'), owner: true });
});
after(async () => {
  await server?.stop();
});

test('PG 14: libc and ICU collations (locales, owner, comment) and a publication\'s tables restore into an empty database and over it', async () => {
  assert.deepEqual(dump.unsupportedObjects, []);
  await server.createDatabase('restored');
  const source = await describeBoth(server, 'source');
  const sourceSchema = comparableSchemaDump(await server.pgDump('source', ['--schema-only']));
  assert.ok(sourceSchema.some((line) => line.includes("CREATE COLLATION fid.case_insensitive (provider = icu, deterministic = false, locale = 'und-u-ks-level2');")));
  assert.ok(sourceSchema.some((line) => line.includes('ALTER PUBLICATION fid_pub ADD TABLE ONLY fid.notes;')));
  for (const stage of ['first', 'second']) {
    await server.psql('restored', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
    const restored = await describeBoth(server, 'restored');
    assertSameLines(restored.schema, source.schema, `schema after the ${stage} restore`);
    assertSameLines(restored.data, source.data, `data after the ${stage} restore`);
    assertSameLines(comparableSchemaDump(await server.pgDump('restored', ['--schema-only'])), sourceSchema, `pg_dump --schema-only after the ${stage} restore`);
    assert.deepEqual(await fingerprintDifferences(server, 'restored', dump), [], `catalog fingerprint after the ${stage} restore`);
  }
});
