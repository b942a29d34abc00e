import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { comparableSchemaDump, connectionFor } from './round-trip.ts';

/** Issue 11's fixture of objects the dump used to break or lose (see the file's comments). */
export const fidelityFixture = new URL('../fixtures/ddl-fidelity.sql', import.meta.url);
/** Collations in schema fid, loaded after the fixture (and alone on PostgreSQL 14). */
export const collationsFixture = new URL('../fixtures/collations.sql', import.meta.url);

/**
 * What the fixture needs from the cluster before it loads: roles to grant to and a tablespace,
 * whose directory is made inside the server's container (PostgreSQL wants it empty and its own).
 */
export async function prepareCluster(server: PostgresServer): Promise<void> {
  const directory = '/var/lib/postgresql/fidelity_space';
  for (const command of [['mkdir', '-p', directory], ['chown', 'postgres:postgres', directory]]) {
    const result = await server.container.exec(command);
    if (result.exitCode !== 0) throw new Error(`${command.join(' ')} in the container: ${result.output}`);
  }
  await server.query('postgres', 'CREATE ROLE fidelity_reader');
  await server.query('postgres', 'CREATE ROLE fidelity_writer');
  // Only a superuser may own an event trigger.
  await server.query('postgres', 'CREATE ROLE fidelity_event_owner SUPERUSER');
  // Names an aclitem's text must quote: the dump reads privileges with aclexplode(), never that text.
  await server.query('postgres', 'CREATE ROLE "we=ird/role""x"');
  await server.query('postgres', 'CREATE ROLE "a b"');
  await server.query('postgres', `CREATE TABLESPACE fidelity_space LOCATION '${directory}'`);
}

export interface FidelityRoundTrip {
  dump: DumpFileResult;
  /** psql's error for each restore (empty database, then over itself), or null when it succeeded. */
  firstRestoreError: string | null;
  secondRestoreError: string | null;
}

/**
 * Loads the fixture into `source`, dumps it with owners and privileges, and restores the dump
 * twice into `restored` (into an empty database, then over itself: the --clean path) with psql
 * -v ON_ERROR_STOP=1 --single-transaction. `inspect` runs after each restore, so the caller can
 * capture the restored state of both.
 */
export async function runFidelityRoundTrip(
  server: PostgresServer,
  directory: string,
  inspect: (stage: 'first' | 'second') => Promise<void>,
): Promise<FidelityRoundTrip> {
  await server.createDatabase('source');
  await server.psql('source', readFileSync(fidelityFixture));
  await server.psql('source', readFileSync(collationsFixture));
  const dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'fidelity.sql.gz'), owner: true });
  await server.createDatabase('restored');
  const restore = async () => {
    try {
      await server.psql('restored', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  };
  const firstRestoreError = await restore();
  await inspect('first');
  const secondRestoreError = await restore();
  await inspect('second');
  return { dump, firstRestoreError, secondRestoreError };
}

/**
 * Splits `pg_dump` output into its entries (header comment + SQL), so that a test can compare
 * just the entries about one object between two databases.
 */
export function dumpEntries(text: string): string[] {
  return text
    .split(/\n(?=--\n-- (?:Data for )?Name: )/)
    .map((entry) => comparableSchemaDump(entry).join('\n').trim())
    .filter((entry) => entry.startsWith('--\n-- '));
}

/**
 * The catalog properties the fixture exercises that `describeSchema` does not print, read on the
 * server (for versions the machine's pg_dump 15 cannot dump): every constraint with its
 * inheritance, validity and comment (NOT NULL ones too on 18), index properties, sequence
 * persistence, and privileges (tables, columns, built-in functions and languages, defaults).
 * `pg_attver` is a per-database column option some Debian builds of PostgreSQL add: masked.
 */
export async function describeFidelityProperties(server: PostgresServer, database: string): Promise<string[]> {
  const queries = [
    `SELECT 'constraint ' || conrelid::regclass::text || ' ' || contypid::regtype::text || ' ' || conname || ' ' || contype::text
            || ' ' || pg_get_constraintdef(oid) || ' local=' || conislocal || ' inherited=' || coninhcount || ' noinherit=' || connoinherit
            || ' validated=' || convalidated || ' deferrable=' || condeferrable || ' deferred=' || condeferred
            || ' comment=' || coalesce(obj_description(oid, 'pg_constraint'), '')
       FROM pg_constraint WHERE connamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'fid')`,
    `SELECT 'index ' || i.indexrelid::regclass::text || ' clustered=' || i.indisclustered || ' replident=' || i.indisreplident
            || ' tablespace=' || coalesce((SELECT spcname FROM pg_tablespace WHERE oid = c.reltablespace), '')
            || ' options=' || coalesce(c.reloptions::text, '') || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
            || ' stats=' || coalesce((SELECT string_agg(attnum || ':' || attstattarget, ',' ORDER BY attnum) FROM pg_attribute
                                      WHERE attrelid = c.oid AND attstattarget >= 0), '')
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'fid')`,
    `SELECT 'relation ' || oid::regclass::text || ' persistence=' || relpersistence::text || ' acl=' || coalesce(relacl::text, '')
       FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'fid')`,
    `SELECT 'column ' || attrelid::regclass::text || '.' || attname || ' acl=' || attacl::text || ' compression=' || attcompression::text
            || ' options=' || regexp_replace(coalesce(attoptions::text, ''), 'pg_attver=[0-9]+', 'pg_attver=N')
       FROM pg_attribute WHERE attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'fid'))
        AND (attacl IS NOT NULL OR attcompression <> '' OR attoptions IS NOT NULL)`,
    `SELECT 'column comment ' || attrelid::regclass::text || '.' || attname || ' ' || col_description(attrelid, attnum)
       FROM pg_attribute WHERE attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'fid')) AND col_description(attrelid, attnum) IS NOT NULL`,
    `SELECT 'function acl ' || oid::regprocedure::text || ' ' || proacl::text FROM pg_proc WHERE proacl IS NOT NULL`,
    `SELECT 'built-in column acl ' || attrelid::regclass::text || '.' || attname || ' ' || attacl::text
       FROM pg_attribute WHERE attacl IS NOT NULL AND attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace)`,
    `SELECT 'language acl ' || lanname || ' ' || coalesce(lanacl::text, '') FROM pg_language`,
    `SELECT 'default acl ' || defaclrole::regrole::text || ' ' || coalesce(defaclnamespace::regnamespace::text, '-') || ' '
            || defaclobjtype::text || ' ' || defaclacl::text FROM pg_default_acl`,
  ];
  const lines: string[] = [];
  for (const sql of queries) {
    for (const row of await server.query<{ line: string }>(database, `SELECT line FROM (${sql}) AS described(line)`)) lines.push(row.line);
  }
  return lines.sort();
}
