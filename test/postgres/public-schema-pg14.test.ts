import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor, fingerprintDifferences } from './round-trip.ts';

/**
 * The public schema's privileges in a dump --owner of PostgreSQL 14, restored into 14: its PUBLIC
 * has USAGE and CREATE there, only USAGE from 15 on, and the dump restores into either. A database
 * hardened as PostgreSQL advised for 14 (REVOKE CREATE ON SCHEMA public FROM PUBLIC) got PUBLIC
 * CREATE back: its ACL equals 15's default, so nothing was written to take it away on a 14 target.
 */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-public-schema-'));
const variants: Record<string, string> = {
  default: '',
  no_public_create: 'REVOKE CREATE ON SCHEMA public FROM PUBLIC;',
  no_public_access: 'REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO public_reader;',
};
const publicSchema = async (database: string) =>
  (await server.query<{ owner: string; acl: string }>(database, `SELECT nspowner::regrole::text AS owner, nspacl::text AS acl FROM pg_namespace WHERE nspname = 'public'`))[0];

before(async () => {
  server = await startPostgres('14');
  await server.query('postgres', 'CREATE ROLE public_reader');
  for (const [name, sql] of Object.entries(variants)) {
    await server.createDatabase(name);
    await server.psql(name, `${sql} CREATE TABLE public.t (a integer);`);
  }
});
after(async () => {
  await server?.stop();
});

test('PG 14 → 14: the public schema keeps its privileges, whatever PUBLIC was left with, through psql and restore-db --clean', async () => {
  for (const name of Object.keys(variants)) {
    const dump = await dumpToFile({ connection: connectionFor(server, name), path: join(directory, `${name}.sql.gz`), owner: true });
    const restored = `${name}_restored`;
    await server.createDatabase(restored);
    await server.psql(restored, createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
    assert.deepEqual(await publicSchema(restored), await publicSchema(name), `${name}: psql`);
    assert.deepEqual(await fingerprintDifferences(server, restored, dump), [], `${name}: psql`);
    await restoreDatabase({ connection: connectionFor(server, restored), input: dump.path, clean: true });
    assert.deepEqual(await publicSchema(restored), await publicSchema(name), `${name}: restore-db --clean`);
    assert.deepEqual(await fingerprintDifferences(server, restored, dump), [], `${name}: restore-db --clean`);
  }
});
