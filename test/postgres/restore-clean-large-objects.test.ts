import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dumpToFile } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor, fingerprintDifferences } from './round-trip.ts';

/**
 * restore-db --clean replaces a database's contents: large objects live outside every schema, so
 * dropping the schemas left the target's own (ones the dump does not have) behind, and the restored
 * database was not the dump's.
 */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-clean-large-objects-'));
const largeObjects = (database: string) =>
  server.query<{ line: string }>(database, `SELECT oid::text || ' ' || md5(lo_get(oid)) AS line FROM pg_largeobject_metadata ORDER BY oid`);

before(async () => {
  server = await startPostgres('15');
  await server.createDatabase('source');
  await server.psql('source', `CREATE TABLE public.documents (id integer, body oid);
    INSERT INTO public.documents VALUES (1, lo_from_bytea(41000, 'kept')), (2, lo_from_bytea(41001, ''));`);
});
after(async () => {
  await server?.stop();
});

test('restore-db --clean over a database with large objects of its own leaves only the dump\'s', async () => {
  const dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'dump.sql.gz') });
  await server.createDatabase('target');
  await server.psql('target', `CREATE TABLE public.other (id integer);
    SELECT lo_from_bytea(41000, 'the target''s own'), lo_from_bytea(52000, 'not in the dump'), lo_from_bytea(3000000000, 'high');`);
  for (const singleTransaction of [true, false]) {
    await restoreDatabase({ connection: connectionFor(server, 'target'), input: dump.path, clean: true, singleTransaction });
    assert.deepEqual(await largeObjects('target'), await largeObjects('source'), `single transaction: ${singleTransaction}`);
    assert.deepEqual(await fingerprintDifferences(server, 'target', dump), []);
  }
});

test('a database holding large objects but no table is not empty: restore-db refuses it without --clean, and replaces them with it', async () => {
  const dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'dump-again.sql.gz') });
  await server.createDatabase('objects_only');
  await server.psql('objects_only', `SELECT lo_from_bytea(41000, 'the target''s own'), lo_from_bytea(52000, 'not in the dump');`);
  const before = await largeObjects('objects_only');
  await assert.rejects(
    restoreDatabase({ connection: connectionFor(server, 'objects_only'), input: dump.path }),
    /database objects_only already holds 2 large object\(s\): nothing was restored/,
  );
  assert.deepEqual(await largeObjects('objects_only'), before, 'nothing changed');
  await restoreDatabase({ connection: connectionFor(server, 'objects_only'), input: dump.path, clean: true });
  assert.deepEqual(await largeObjects('objects_only'), await largeObjects('source'));
  assert.deepEqual(await fingerprintDifferences(server, 'objects_only', dump), []);
});
