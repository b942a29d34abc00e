import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, suite, test } from 'node:test';
import pg from 'pg';
import { dumpToFile } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { captureFingerprint, compareFingerprints, describeDifference, loadFingerprint, type StoredFingerprint } from '../../src/postgres/fingerprint.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { describeSchema, describeData } from '../support/schema.ts';
import { assertSameLines, fixturePath } from './round-trip.ts';

/**
 * Issue 11: Immich documents running its database role without superuser, with the extensions
 * created beforehand by a superuser. Such a role owns the database and Immich's objects but can
 * read neither pg_authid nor pg_user_mapping; the dump must work as that role and restore as that
 * role too, into a database prepared the same way.
 */
const role = 'immich_owner';
const rolePassword = 'role-password-not-secret';
const extensions = ['"uuid-ossp"', 'unaccent', 'cube', 'earthdistance', 'pg_trgm'];

/**
 * The fixture as the role would have made it: every object owned by the role (the superuser's
 * session runs it under SET ROLE), the extensions left out (created beforehand instead). Only the
 * fixture's FK-cycle loading needs the superuser back for a moment (session_replication_role).
 */
function fixtureForRole(): string {
  const body = readFileSync(fixturePath, 'utf8')
    .split('\n')
    .filter((line) => !/^(CREATE|COMMENT ON) EXTENSION /.test(line))
    .join('\n')
    .replaceAll(/^SET session_replication_role = (\w+);/gm, `RESET ROLE; SET session_replication_role = $1; SET ROLE ${role};`);
  return `SET ROLE ${role};\n${body}`;
}

for (const version of ['14', '17', '18']) {
 suite(`PG ${version}`, () => {
  let server: PostgresServer;
  const directory = mkdtempSync(join(tmpdir(), `immich-backup-non-superuser-${version}-`));
  const asRole = (database: string) => ({ host: server.host, port: server.port, user: role, password: rolePassword, database });

  /** A database owned by the role, with the extensions a superuser created in it beforehand (Immich's documented setup). */
  async function prepareDatabase(name: string): Promise<void> {
    await server.query('postgres', `CREATE DATABASE ${pg.escapeIdentifier(name)} OWNER ${role}`);
    await server.psql(name, extensions.map((extension) => `CREATE EXTENSION ${extension};`).join('\n'));
  }

  async function psqlAsRole(database: string, input: NodeJS.ReadableStream, extraArgs: string[] = []) {
    return server.runClient('psql', ['-X', '-q', '-d', database, '-v', 'ON_ERROR_STOP=1', ...extraArgs], input, { user: role, password: rolePassword });
  }

  async function describe(database: string) {
    const client = new pg.Client(asRole(database));
    await client.connect();
    try {
      return { schema: await describeSchema(client), data: await describeData(client) };
    } finally {
      await client.end();
    }
  }

  /** The dump's catalog fingerprint against `database`, read as the role (as verify would, with DB_USERNAME). */
  async function fingerprintDifferencesAsRole(database: string, stored: StoredFingerprint): Promise<string[]> {
    const client = new pg.Client(asRole(database));
    await client.connect();
    try {
      const expected = loadFingerprint(stored);
      return compareFingerprints(expected, await captureFingerprint(client, { owner: expected.owner })).map(describeDifference);
    } finally {
      await client.end();
    }
  }

  before(async () => {
    server = await startPostgres(version);
    await server.query('postgres', `CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${rolePassword}'`);
    await prepareDatabase('source');
    await server.psql('source', fixtureForRole());
  });
  after(async () => {
    await server?.stop();
  });

  test(`PG ${version}: a database owner without superuser dumps, and restores as that role with psql (twice: the --clean part too) and restore-db`, async () => {
    const dump = await dumpToFile({ connection: asRole('source'), path: join(directory, 'dump.sql.gz') });
    assert.ok(dump.tables.some((table) => table.name === 'asset' && table.rows > 0));
    const source = await describe('source');

    await prepareDatabase('restored');
    const first = await psqlAsRole('restored', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
    assert.equal(first.code, 0, first.stderr);
    const restored = await describe('restored');
    assertSameLines(restored.schema, source.schema, 'schema');
    assertSameLines(restored.data, source.data, 'data');
    // Again over it: the --clean part of the script runs as the role too.
    const second = await psqlAsRole('restored', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
    assert.equal(second.code, 0, second.stderr);
    assertSameLines((await describe('restored')).schema, source.schema, 'schema after the second restore');

    await prepareDatabase('restored_by_tool');
    await restoreDatabase({ connection: asRole('restored_by_tool'), input: dump.path });
    const byTool = await describe('restored_by_tool');
    assertSameLines(byTool.schema, source.schema, 'schema (restore-db)');
    assertSameLines(byTool.data, source.data, 'data (restore-db)');
    assert.deepEqual(await fingerprintDifferencesAsRole('restored', dump.fingerprint), [], 'catalog fingerprint after the second psql restore');
    assert.deepEqual(await fingerprintDifferencesAsRole('restored_by_tool', dump.fingerprint), [], 'catalog fingerprint (restore-db)');
  });
 });
}
