import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { assertSameLines, comparableSchemaDump, connectionFor, describeBoth, restoreStages, restoreThreeWays } from './round-trip.ts';

/** What PostgreSQL 15 to 18 added (test/fixtures/new-features.sql), each part on the versions that have it. */
const fixture = new URL('../fixtures/new-features.sql', import.meta.url);

interface Described {
  /** The server-side description of schema and rows (any version). */
  schema: string[];
  data: string[];
  /** pg_dump --schema-only where a pg_dump that reads the server is at hand (see withPgDump), else empty. */
  pgDump: string[];
}

/**
 * The round trip on one server version: the fixture dumped with --owner, restored with psql -v
 * ON_ERROR_STOP=1 into an empty database, with restore-db --clean over that, and with restore-db
 * on four connections into another; after each, the schema and rows as the server describes them,
 * the dump's catalog fingerprint (whole pg_constraint and pg_attribute rows: enforced, period,
 * generated kind, storage, compression) and, on 15 (or with TEST_PG_DUMP), pg_dump --schema-only equal the source's.
 * Returns the dump's script for the version's own assertions.
 */
export function defineNewFeaturesTests(version: string): () => string {
  let server: PostgresServer;
  let dump: DumpFileResult;
  let script = '';
  let source: Described;
  let restored: Awaited<ReturnType<typeof restoreThreeWays<Described>>>;
  const directory = mkdtempSync(join(tmpdir(), `immich-backup-new-features-${version}-`));
  // The client image's pg_dump 15 reads up to 15; a newer one on the host (TEST_PG_DUMP, one-off runs) reads the rest.
  const withPgDump = Number(version) <= 15 || process.env.TEST_PG_DUMP !== undefined;

  const describe = async (database: string): Promise<Described> => ({
    ...(await describeBoth(server, database)),
    pgDump: withPgDump ? comparableSchemaDump(await server.pgDump(database, ['--schema-only'])) : [],
  });

  before(async () => {
    server = await startPostgres(version);
    await server.query('postgres', 'CREATE ROLE nf_reader');
    await server.query('postgres', 'CREATE ROLE nf_owner');
    await server.createDatabase('source');
    await server.psql('source', readFileSync(fixture));
    dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'new-features.sql.gz'), owner: true });
    script = gunzipSync(readFileSync(dump.path)).toString('utf8');
    source = await describe('source');
    restored = await restoreThreeWays(server, dump, describe, ['--single-transaction']);
  });
  after(async () => {
    await server?.stop();
  });

  test(`PG ${version}: the new features restore identical three ways (schema, rows, fingerprint${withPgDump ? ', pg_dump --schema-only' : ''})`, () => {
    assert.deepEqual(dump.unsupportedObjects, []);
    for (const stage of restoreStages) {
      const result = restored[stage];
      assert.equal(result.error, null, `${stage} restore`);
      assertSameLines(result.schema, source.schema, `schema after the ${stage} restore`);
      assertSameLines(result.data, source.data, `rows after the ${stage} restore`);
      assert.deepEqual(result.fingerprint, [], `catalog fingerprint after the ${stage} restore`);
      assertSameLines(result.pgDump, source.pgDump, `pg_dump --schema-only after the ${stage} restore`);
    }
  });

  test(`PG ${version}: privileges on a parameter (cluster-wide) and on information_schema are not in the dump, as pg_dump leaves them out`, () => {
    assert.doesNotMatch(script, /ON PARAMETER/);
    // Its views' grants to PUBLIC have no pg_init_privs row (initdb makes the schema after recording them).
    assert.doesNotMatch(script, /information_schema/);
  });

  return () => script;
}
