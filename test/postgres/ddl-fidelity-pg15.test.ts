import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile } from '../../src/postgres/dump.ts';
import { describeObject } from '../../src/postgres/inventory.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { describeFidelityProperties, dumpEntries, prepareCluster, runFidelityRoundTrip, type FidelityRoundTrip } from './ddl-fidelity.ts';
import { assertSameLines, comparableSchemaDump, connectionFor, describeBoth, fingerprintDifferences } from './round-trip.ts';

/**
 * Issue 11 ("Found"), on PostgreSQL 15 so the machine's pg_dump 15 is the reference: each item of
 * the fixture survives a dump with --owner, a restore into an empty database and a second restore
 * over it (the --clean path), entry for entry in `pg_dump --schema-only` of source and restored.
 */
let server: PostgresServer;
let roundTrip: FidelityRoundTrip;
const restoredSchema: Record<'first' | 'second', string> = { first: '', second: '' };
let sourceSchema: string;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-ddl-fidelity-'));

before(async () => {
  server = await startPostgres('15');
  await prepareCluster(server);
  roundTrip = await runFidelityRoundTrip(server, directory, async (stage) => {
    restoredSchema[stage] = await server.pgDump('restored', ['--schema-only']);
  });
  sourceSchema = await server.pgDump('source', ['--schema-only']);
});
after(async () => {
  await server?.stop();
});

/** Both restores succeeded and pg_dump's entries matching `pattern` are the same as the source's. */
function assertEntriesSurvive(pattern: RegExp): void {
  const pick = (text: string) => dumpEntries(text).filter((entry) => pattern.test(entry));
  const expected = pick(sourceSchema);
  assert.ok(expected.length > 0, `the source has entries matching ${pattern}`);
  assert.equal(roundTrip.firstRestoreError, null, 'restore into an empty database');
  assertSameLines(pick(restoredSchema.first), expected, `entries matching ${pattern} after the first restore`);
  assert.equal(roundTrip.secondRestoreError, null, 'second restore over the first (--clean)');
  assertSameLines(pick(restoredSchema.second), expected, `entries matching ${pattern} after the second restore`);
}

test('a constraint trigger is written as CREATE CONSTRAINT TRIGGER and restores deferrable', () => {
  assertEntriesSurvive(/orders_total_check/);
  const trigger = dumpEntries(restoredSchema.second).find((entry) => entry.includes('CREATE CONSTRAINT TRIGGER orders_total_check'));
  assert.match(trigger ?? '', /DEFERRABLE INITIALLY DEFERRED/);
});

test('a NOT VALID domain check restores into an empty database and over itself, with its comment', () => {
  assertEntriesSurvive(/positive_check|positive_not_huge|DOMAIN fid\.positive/);
});

test('SQL-standard functions relying on a primary key (and views, a default and a CHECK using one) come after the key; materialized views refresh in order', () => {
  assertEntriesSurvive(/people_names|people_count|names_mv|tallies/);
});

test('inheritance: inherited CHECKs stay inherited, a child keeps its own DEFAULT and NOT NULL', () => {
  assertEntriesSurvive(/fid\.(parent|child|child_merged)\b/);
});

test('comments on constraints, on domain constraints, on the indexes behind constraints and on composite type columns', () => {
  assertEntriesSurvive(/COMMENT ON (CONSTRAINT|INDEX|COLUMN fid\.pair)/);
});

test('CLUSTER ON and REPLICA IDENTITY USING INDEX on indexes that belong to constraints', () => {
  assertEntriesSurvive(/CLUSTER ON|REPLICA IDENTITY/);
});

test('column properties of a materialized view (compression, statistics, options)', () => {
  assertEntriesSurvive(/people_mv/);
});

test('with --owner: column grants, default privileges, and changed privileges of built-in objects', () => {
  assertEntriesSurvive(/GRANT|REVOKE|DEFAULT PRIVILEGES/);
});

test('with --owner: grants to and by roles named with = / quotes and spaces, on a table, a column, a schema, a function, and their default privileges', () => {
  assertEntriesSurvive(/odd_grants|odd_answer|we=ird\/role""x|"a b"/);
  const table = dumpEntries(restoredSchema.second).find((entry) => entry.includes('Name: TABLE odd_grants; Type: ACL'));
  assert.match(table ?? '', /GRANT SELECT ON TABLE fid\.odd_grants TO "a b";/);
});

test('an unlogged sequence, index column statistics, index tablespaces, an exclusion constraint with storage parameters', () => {
  assertEntriesSurvive(/scratch|counted|people_lower_name|placed_|bookings_no_overlap|default_tablespace/);
});

test('tables, a materialized view, a partitioned table and a partition in a tablespace, through default_tablespace around their CREATE', () => {
  assertEntriesSurvive(/stored_apart|spread/);
});

test('extended statistics: on columns with a target, a comment and another owner, on expressions, in another schema than the table', () => {
  assertEntriesSurvive(/people_stats|people_expr_stats|Bookings MCV/);
  const target = dumpEntries(restoredSchema.second).find((entry) => entry.includes('CREATE STATISTICS fid.people_stats'));
  assert.match(target ?? '', /ALTER STATISTICS fid\.people_stats SET STATISTICS 250;/);
});

test('collations (libc, libc with lc_collate and lc_ctype apart, nondeterministic ICU) with a comment and an owner, before the columns, domain and index using them', () => {
  assertEntriesSurvive(/COLLATION|fid\.labels|sorted_text/);
  const icu = dumpEntries(restoredSchema.second).find((entry) => entry.includes('CREATE COLLATION fid.case_insensitive'));
  assert.match(icu ?? '', /provider = icu, deterministic = false, locale = 'und-u-ks-level2'/);
});

test('text search dictionaries and configurations (mappings, comments, owners) before the generated column and index using them', () => {
  assertEntriesSurvive(/TEXT SEARCH|fid\.documents|documents_words/);
  const words = dumpEntries(restoredSchema.second).find((entry) => entry.includes('CREATE TEXT SEARCH CONFIGURATION fid.words'));
  assert.match(words ?? '', /ADD MAPPING FOR asciiword WITH fid\.plain_words, fid\."English Stem";/);
});

test('event triggers (tags, DISABLE, ENABLE REPLICA, comment, owner) come last and restore over themselves', () => {
  assertEntriesSurvive(/EVENT TRIGGER/);
  const disabled = dumpEntries(restoredSchema.second).find((entry) => entry.includes('CREATE EVENT TRIGGER "Fid Drops"'));
  assert.match(disabled ?? '', /WHEN TAG IN \('DROP TABLE', 'DROP VIEW'\)[\s\S]*ALTER EVENT TRIGGER "Fid Drops" DISABLE;/);
});

test('casts with a function, with I/O conversion and binary-coercible, with a comment, before a view using one', () => {
  assertEntriesSurvive(/CAST \((fid\.mood|boolean)|mood_ranks/);
});

test('publications: tables with a column list and a row filter, all tables, tables in a schema; comment and owner', () => {
  assertEntriesSurvive(/PUBLICATION/);
  const filtered = dumpEntries(restoredSchema.second).find((entry) => entry.includes('ALTER PUBLICATION fid_some ADD TABLE ONLY fid.people'));
  assert.match(filtered ?? '', /fid\.people \(id, name\) WHERE \(\(id > 0\)\);/);
});

test('foreign data wrappers, servers and user mappings (options, owners, grants, comments); the password is in the script only, not in the fingerprint', () => {
  assertEntriesSurvive(/FOREIGN DATA WRAPPER|SERVER|USER MAPPING/);
  const mapping = dumpEntries(restoredSchema.second).find((entry) => entry.includes('CREATE USER MAPPING FOR fidelity_reader SERVER fid_server'));
  assert.match(mapping ?? '', /password 'fid-secret-pw'/);
  assert.ok(!JSON.stringify(roundTrip.dump.fingerprint).includes('fid-secret-pw'), 'the fingerprint (kept in the manifest) has no user mapping password');
});

test('operators (commutator and negator of each other, estimators, owner, comment; a prefix one) before a view using them', () => {
  assertEntriesSurvive(/OPERATOR fid\.|fid\.operated/);
});

test('operator classes and families (their own or another family, loose members, owner, comment) before an index using one', () => {
  assertEntriesSurvive(/OPERATOR (CLASS|FAMILY)|flagged/);
});

test('aggregates (final, combine, moving, ordered-set, no arguments, sort operator; owner, comment, grant) before a view using them', () => {
  assertEntriesSurvive(/AGGREGATE fid\.|fid\.aggregated/);
});

test('a window function before a view using it', () => {
  assertEntriesSurvive(/nth_value_or_first|fid\.windowed/);
});

test('range types (subtype_diff, multirange name, collation, operator class; owner, comment) before a table and a view using them', () => {
  assertEntriesSurvive(/float_span|text_span|fid\.spans|fid\.spanned/);
});

test('access methods (table and index, a comment)', () => {
  assertEntriesSurvive(/ACCESS METHOD/);
});

test('a CHECK in a dependency loop with its own table is added after the data, as pg_dump does', () => {
  assertEntriesSurvive(/self_checked/);
  const check = dumpEntries(restoredSchema.second).find((entry) => entry.includes('ADD CONSTRAINT self_checked_ok'));
  assert.match(check ?? '', /Type: CHECK CONSTRAINT/);
});

test('an inheritance child attached with its columns in its own order keeps that order (pg_dump reorders them)', () => {
  assertEntriesSurvive(/fid\.shape/);
  const child = dumpEntries(restoredSchema.second).find((entry) => entry.includes('CREATE TABLE fid.shape_child'));
  assert.match(child ?? '', /extra date,\n {4}b text,\n {4}a integer DEFAULT 7 NOT NULL\n\)\nINHERITS \(fid\.shape\)/);
});

test('the whole restored schema equals the source, pg_dump --schema-only and server-side description alike', async () => {
  assert.equal(roundTrip.firstRestoreError, null);
  assert.equal(roundTrip.secondRestoreError, null);
  assertSameLines(comparableSchemaDump(restoredSchema.second), comparableSchemaDump(sourceSchema), 'pg_dump --schema-only');
  const source = await describeBoth(server, 'source');
  const restored = await describeBoth(server, 'restored');
  assertSameLines(restored.schema, source.schema, 'schema');
  assertSameLines(restored.data, source.data, 'data');
  assertSameLines(await describeFidelityProperties(server, 'restored'), await describeFidelityProperties(server, 'source'), 'catalog properties');
  assert.deepEqual(await fingerprintDifferences(server, 'restored', roundTrip.dump), [], "the dump's catalog fingerprint (with owners and privileges)");
});

test('--allow-unsupported leaves out everything built on a skipped type (composite types, domains, functions, tables) and lists it', async () => {
  await server.createDatabase('skipping');
  const fixture = `
    CREATE FUNCTION public.odd_handler() RETURNS language_handler LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_call_handler';
    CREATE LANGUAGE oddlang HANDLER public.odd_handler;
    CREATE TYPE public.rawtext;
    CREATE FUNCTION public.rawtext_in(cstring) RETURNS public.rawtext LANGUAGE oddlang IMMUTABLE STRICT AS 'textin';
    CREATE FUNCTION public.rawtext_out(public.rawtext) RETURNS cstring LANGUAGE oddlang IMMUTABLE STRICT AS 'textout';
    CREATE TYPE public.rawtext (INPUT = public.rawtext_in, OUTPUT = public.rawtext_out, LIKE = text);
    CREATE TYPE public.range_pair AS (span public.rawtext, label text);
    CREATE DOMAIN public.ranges AS public.rawtext[];
    CREATE TYPE public.nested_pair AS (inner_pair public.range_pair, n integer);
    CREATE FUNCTION public.span_of(p public.range_pair) RETURNS text LANGUAGE sql RETURN p.label;
    CREATE TABLE public.spans (id integer PRIMARY KEY, pair public.nested_pair);
    CREATE FUNCTION public.is_wide(r public.rawtext) RETURNS boolean LANGUAGE sql IMMUTABLE RETURN r IS NOT NULL;
    CREATE TABLE public.checked (id integer, CONSTRAINT checked_wide CHECK (public.is_wide(NULL::public.rawtext) IS NULL));
    ALTER TABLE public.checked ENABLE ROW LEVEL SECURITY;
    CREATE TABLE public.kept (id integer PRIMARY KEY, label text);
    INSERT INTO public.kept VALUES (1, 'kept');`;
  await server.psql('skipping', fixture);
  const dump = await dumpToFile({ connection: connectionFor(server, 'skipping'), path: join(directory, 'skipping.sql.gz'), allowUnsupported: true });
  const listed = dump.unsupportedObjects.map(describeObject);
  // The root: a procedural language, which the dump does not write; the base type's I/O functions are in it.
  for (const name of ['procedural language oddlang', 'function public.rawtext_in(cstring)', 'base type public.rawtext', 'composite type public.range_pair', 'domain public.ranges', 'composite type public.nested_pair', 'function public.span_of(p public.range_pair)', 'table public.spans', 'table public.checked', 'row level security public.checked on checked']) {
    assert.ok(listed.some((line) => line.startsWith(name)), `${name} listed in: ${listed.join('; ')}`);
  }
  assert.ok(!listed.some((line) => line.startsWith('table public.kept')));

  // What was written restores without a single error, twice, and is the source minus what was listed.
  await server.createDatabase('skipping_restored');
  for (let round = 0; round < 2; round += 1) {
    await server.psql('skipping_restored', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
  }
  await server.query('postgres', 'CREATE DATABASE skipping_expected TEMPLATE skipping');
  // Explicit drops: DROP TYPE ... CASCADE would only drop the columns of that type, not the types and table holding them.
  await server.psql(
    'skipping_expected',
    'DROP TABLE public.spans, public.checked; DROP FUNCTION public.span_of, public.is_wide; DROP DOMAIN public.ranges; DROP TYPE public.nested_pair; DROP TYPE public.range_pair; DROP TYPE public.rawtext CASCADE; DROP LANGUAGE oddlang',
  );
  assertSameLines(
    comparableSchemaDump(await server.pgDump('skipping_restored', ['--schema-only'])),
    comparableSchemaDump(await server.pgDump('skipping_expected', ['--schema-only'])),
    'pg_dump --schema-only of the restore vs the source without the listed objects',
  );
});
