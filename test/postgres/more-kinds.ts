import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { assertSameLines, comparableSchemaDump, connectionFor, describeBoth, restoreStages, restoreThreeWays, type RestoreStage } from './round-trip.ts';

/** Large objects, foreign tables, typed tables, base types, transforms, tables of another access method, subscriptions, conversions, text search parsers and templates, inheritance children of a table with a generated column (test/fixtures/more-kinds.sql). */
const fixture = new URL('../fixtures/more-kinds.sql', import.meta.url);

interface Restored {
  error: string | null;
  /** pg_dump --schema-only, or the server-side schema description where pg_dump is too old. */
  schemaDump: string[];
  /** Whole pg_dump, or every table's rows. */
  fullDump: string[];
  largeObjects: string[];
  fingerprint: string[];
}

const largeObjectsQuery = `
  SELECT l.oid::text || ' owner=' || l.lomowner::regrole::text || ' acl=' || coalesce(l.lomacl::text, '')
         || ' comment=' || coalesce(obj_description(l.oid, 'pg_largeobject'), '')
         || ' size=' || octet_length(lo_get(l.oid)) || ' md5=' || md5(lo_get(l.oid)) AS line
    FROM pg_largeobject_metadata l ORDER BY l.oid`;

/**
 * The round trip on one server version: the fixture dumped with --owner, restored with psql -v
 * ON_ERROR_STOP=1 into an empty database, then with restore-db --clean over that, and with
 * restore-db on four connections into another empty one; after each, pg_dump (schema only, and whole, so large objects' contents too), the large objects
 * and the dump's catalog fingerprint are compared with the source's.
 */
export function defineMoreKindsTests(version: string): void {
  let server: PostgresServer;
  let dump: DumpFileResult;
  let script: string;
  const source = { schemaDump: [] as string[], fullDump: [] as string[], largeObjects: [] as string[] };
  let restored: Record<RestoreStage, Restored>;
  const directory = mkdtempSync(join(tmpdir(), `immich-backup-more-kinds-${version}-`));

  // The machine's pg_dump is 15: newer servers are described on the server instead (schema and rows).
  const withPgDump = Number(version) <= 15;
  const describe = async (database: string) => {
    const described = withPgDump ? undefined : await describeBoth(server, database);
    return {
      schemaDump: described?.schema ?? comparableSchemaDump(await server.pgDump(database, ['--schema-only'])),
      fullDump: described?.data ?? comparableSchemaDump(await server.pgDump(database)),
      largeObjects: (await server.query<{ line: string }>(database, largeObjectsQuery)).map((row) => row.line),
    };
  };

  before(async () => {
    server = await startPostgres(version);
    await server.query('postgres', 'CREATE ROLE kinds_owner');
    await server.query('postgres', 'CREATE ROLE kinds_reader');
    await server.createDatabase('source');
    await server.psql('source', readFileSync(fixture));
    dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'kinds.sql.gz'), owner: true });
    script = gunzipSync(readFileSync(dump.path)).toString('utf8');
    Object.assign(source, await describe('source'));
    restored = await restoreThreeWays(server, dump, describe);
  });
  after(async () => {
    await server?.stop();
  });

  const eachRestore = (check: (result: Restored, stage: string) => void) => {
    for (const stage of restoreStages) {
      const result = restored[stage];
      assert.equal(result.error, null, `${stage} restore`);
      check(result, stage);
    }
  };

  test(`PG ${version}: psql into an empty database, restore-db --clean over it, restore-db --jobs 4: ${withPgDump ? 'pg_dump (schema and whole)' : 'schema and rows'} and the fingerprint equal the source's`, () => {
    eachRestore((result, stage) => {
      assertSameLines(result.schemaDump, source.schemaDump, `${withPgDump ? 'pg_dump --schema-only' : 'schema'} after the ${stage} restore`);
      assertSameLines(result.fullDump, source.fullDump, `${withPgDump ? 'pg_dump' : 'rows'} after the ${stage} restore`);
      assert.deepEqual(result.fingerprint, [], `catalog fingerprint after the ${stage} restore`);
    });
  });

  test(`PG ${version}: large objects come back with their OIDs, owners, grants, comments and contents`, () => {
    assert.equal(source.largeObjects.length, 77);
    eachRestore((result, stage) => assertSameLines(result.largeObjects, source.largeObjects, `large objects after the ${stage} restore`));
    // As pg_dump writes them: created in pre-data, dropped guarded, contents in lowrites of at most 16 KiB.
    assert.match(script, /SELECT pg_catalog\.lo_unlink\(oid\) FROM pg_catalog\.pg_largeobject_metadata WHERE oid = '3001';/);
    assert.match(script, /SELECT pg_catalog\.lo_create\('424242'\);\n\nALTER LARGE OBJECT 424242 OWNER TO kinds_owner;/);
    assert.match(script, /COMMENT ON LARGE OBJECT 3001 IS 'low OID, it''s quoted';/);
    assert.match(script, /GRANT SELECT,UPDATE ON LARGE OBJECT 424242 TO kinds_reader;/);
    const writes = [...script.matchAll(/^SELECT pg_catalog\.lowrite\(0, '\\x([0-9a-f]*)'\);$/gm)].map((match) => match[1]!.length / 2);
    assert.ok(writes.length > 0 && writes.every((bytes) => bytes > 0 && bytes <= 16384), 'lowrite calls of 1 to 16384 bytes');
    const sizes = source.largeObjects.map((line) => Number(/ size=(\d+) /.exec(line)![1]));
    assert.equal(writes.reduce((sum, bytes) => sum + bytes, 0), sizes.reduce((sum, size) => sum + size, 0), 'every byte written once');
    assert.equal(script.match(/^SELECT pg_catalog\.lo_open\('\d+', 131072\);$/gm)?.length, 77, 'each object opened once');
    assert.ok(script.indexOf('BEGIN;\n\nSELECT pg_catalog.lo_open') > script.indexOf('COPY kinds.documents'), 'contents after the table data');
  });

  test(`PG ${version}: foreign tables come back with their server, options, columns' options, constraints, comments and grants, and no data`, () => {
    assert.match(script, /CREATE FOREIGN TABLE kinds\.remote \(\n[\s\S]*?\n\)\nSERVER kinds_server\nOPTIONS \(\n {4}table_name 'things',\n {4}schema_name 'public'\n\);/);
    assert.match(script, /ALTER FOREIGN TABLE kinds\.remote ALTER COLUMN label OPTIONS \(\n {4}column_name 'lbl',\n {4}"Odd Option" 'it''s'\n\);/);
    assert.match(script, /COMMENT ON FOREIGN TABLE kinds\.remote IS 'far away';/);
    assert.match(script, /^DROP FOREIGN TABLE IF EXISTS kinds\.remote;$/m);
    assert.match(script, /CREATE FOREIGN TABLE kinds\.empty_remote \(\n\)\nSERVER kinds_server;/);
    assert.doesNotMatch(script, /COPY kinds\.(remote|empty_remote|checked_later|remote_child)\b/);
    eachRestore((result, stage) => {
      for (const name of ['remote', 'empty_remote', 'checked_later', 'remote_child', 'remote_labels']) {
        assert.ok(result.schemaDump.some((line) => line.includes(`kinds.${name}`)), `kinds.${name} after the ${stage} restore`);
      }
    });
  });

  test(`PG ${version}: typed tables come back OF their type, with what their columns add to it and their rows`, () => {
    assert.match(script, /^CREATE TABLE kinds\.plain_pairs OF kinds\.pair;$/m);
    assert.match(script, /^CREATE TABLE kinds\.pairs OF kinds\.pair \(\n {4}a NOT NULL,\n {4}b DEFAULT 'x'::text NOT NULL,\n {4}CONSTRAINT c_recent CHECK/m);
    assert.ok(script.indexOf('CREATE TYPE kinds.zz_late') < script.indexOf('CREATE TABLE kinds.aa_early OF kinds.zz_late'), 'a type before its typed table');
    eachRestore((result, stage) => {
      for (const name of ['plain_pairs', 'pairs', 'aa_early']) {
        assert.ok(result.fullDump.some((line) => line.includes(`kinds.${name}`)), `kinds.${name} after the ${stage} restore`);
      }
    });
  });

  test(`PG ${version}: base types come back through a shell type with their functions, properties, owner, grant and columns' rows`, () => {
    // pg_dump's order: the shell, the I/O functions, the full definition (DROP ... CASCADE takes the functions with it).
    const shell = script.indexOf('CREATE TYPE kinds.code;\n');
    const input = script.indexOf('CREATE OR REPLACE FUNCTION kinds.code_in(cstring)');
    const full = script.indexOf('CREATE TYPE kinds.code (\n');
    assert.ok(shell >= 0 && shell < input && input < full, 'shell type, I/O function, full type');
    assert.match(script, /-- Name: code; Type: SHELL TYPE; Schema: kinds; Owner: kinds_owner\n--\n\nCREATE TYPE kinds\.code;\n\n--/);
    assert.match(script, new RegExp([
      'CREATE TYPE kinds\\.code \\(', '    INTERNALLENGTH = variable,', '    INPUT = kinds\\.code_in,', '    OUTPUT = kinds\\.code_out,',
      '    RECEIVE = kinds\\.code_recv,', '    SEND = kinds\\.code_send,', '    COLLATABLE = true,', "    DEFAULT = 'it''s none',",
      "    CATEGORY = 'Z',", "    DELIMITER = ';',", '    ALIGNMENT = int4,', '    STORAGE = extended', '\\);',
    ].join('\n')));
    assert.match(script, /CREATE TYPE kinds\.small \(\n {4}INTERNALLENGTH = 4,[\s\S]*?TYPMOD_IN = kinds\.small_typmod_in,\n {4}TYPMOD_OUT = kinds\.small_typmod_out,\n {4}SUBSCRIPT = raw_array_subscript_handler,\n {4}ELEMENT = smallint,\n {4}PREFERRED = true,\n {4}ALIGNMENT = int4,\n {4}STORAGE = plain,\n {4}PASSEDBYVALUE\n\);/);
    assert.match(script, /^DROP TYPE IF EXISTS kinds\.code CASCADE;$/m);
    assert.match(script, /^CREATE TYPE kinds\.placeholder;\n\nALTER TYPE kinds\.placeholder OWNER TO postgres;\n\nCOMMENT ON TYPE kinds\.placeholder IS 'never defined';$/m);
    assert.ok(script.indexOf('CREATE CAST (text AS kinds.code)') < script.indexOf('CREATE CAST (integer AS kinds.code)'), 'the cast the other one needs first');
    eachRestore((result, stage) => {
      assert.ok(result.fullDump.some((line) => line.includes('kinds.coded')), `kinds.coded after the ${stage} restore`);
      // The server-side description (newer servers) lists no shell types; the fingerprint compares them on every version.
      if (withPgDump) assert.ok(result.schemaDump.some((line) => line.includes('kinds.placeholder')), `kinds.placeholder after the ${stage} restore`);
    });
  });

  test(`PG ${version}: a transform comes back after its functions and type, before the functions that depend on it, with its comment`, () => {
    const create = 'CREATE TRANSFORM FOR kinds.code LANGUAGE sql (FROM SQL WITH FUNCTION pg_catalog.prsd_lextype(internal), TO SQL WITH FUNCTION kinds.code_recv(internal));';
    assert.ok(script.includes(`${create}\n\nCOMMENT ON TRANSFORM FOR kinds.code LANGUAGE sql IS 'a transform';`));
    assert.match(script, /^DROP TRANSFORM IF EXISTS FOR kinds\.code LANGUAGE sql;$/m);
    const at = script.indexOf(create);
    assert.ok(script.indexOf('CREATE TYPE kinds.code (\n') < at && at < script.indexOf('FUNCTION kinds.code_length(c kinds.code)'), 'type, transform, function');
  });

  test(`PG ${version}: tables, a materialized view and a partition under another table access method come back under it`, () => {
    for (const create of ['CREATE TABLE kinds.stored_elsewhere (', 'CREATE MATERIALIZED VIEW kinds.stored_elsewhere_view AS', 'CREATE TABLE kinds.split_2024 (']) {
      const at = script.indexOf(create);
      assert.ok(at > 0, create);
      assert.equal(script.lastIndexOf('SET default_table_access_method = kinds_heap;\n\n', at), script.lastIndexOf('SET default_table_access_method', at), `${create} under kinds_heap`);
      assert.ok(script.indexOf('RESET default_table_access_method;\n', at) < script.indexOf('\n--\n', at), `${create}: the default reset in the same entry`);
    }
    // Which access method each table came back with is in the fingerprint (pg_class.relam), compared after every restore.
    assert.doesNotMatch(script, /USING kinds_heap/);
  });

  test(`PG ${version}: subscriptions come back disabled and unconnected (connect = false) with their slot names, options and comment; the password only in the script`, async () => {
    assert.match(script, /^CREATE SUBSCRIPTION kinds_sub CONNECTION 'host=publisher\.invalid dbname=app user=replicator password=not-a-real-secret' PUBLICATION pub_one, "Pub Two" WITH \(connect = false, slot_name = 'kinds_slot', binary = true, streaming = on, synchronous_commit = local\);$/m);
    // streaming is always written: its default became parallel in 18.
    const streaming = Number(version) >= 18 ? 'parallel' : 'off';
    assert.ok(script.includes(`\nCREATE SUBSCRIPTION "Kinds Slotless" CONNECTION 'dbname=elsewhere' PUBLICATION pub_one WITH (connect = false, slot_name = NONE, streaming = ${streaming});\n`));
    assert.match(script, /^COMMENT ON SUBSCRIPTION kinds_sub IS 'from the publisher';$/m);
    assert.ok(!JSON.stringify(dump.fingerprint).includes('not-a-real-secret'), 'no password in the fingerprint');
    for (const database of ['restored', 'restored_jobs']) {
      const rows = await server.query<{ line: string }>(database, `SELECT s.subname || ' ' || s.subenabled || ' ' || coalesce(s.subslotname, '-') AS line
        FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database() ORDER BY 1`);
      assert.deepEqual(rows.map((row) => row.line), ['Kinds Slotless false -', 'kinds_sub false kinds_slot'], database);
    }
  });

  test(`PG ${version}: conversions, text search parsers and templates come back before what uses them, with comments and owners`, () => {
    assert.match(script, /^CREATE DEFAULT CONVERSION kinds\.latin2_utf8 FOR 'LATIN2' TO 'UTF8' FROM iso8859_to_utf8;$/m);
    assert.match(script, /^CREATE CONVERSION kinds\."Latin1 To Utf8" FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;\n\nALTER CONVERSION kinds\."Latin1 To Utf8" OWNER TO kinds_owner;\n\nCOMMENT ON CONVERSION kinds\."Latin1 To Utf8" IS 'a conversion';$/m);
    assert.match(script, /^CREATE TEXT SEARCH PARSER kinds\.words \(\n {4}START = prsd_start,\n {4}GETTOKEN = prsd_nexttoken,\n {4}END = prsd_end,\n {4}HEADLINE = prsd_headline,\n {4}LEXTYPES = prsd_lextype \);\n\nCOMMENT ON TEXT SEARCH PARSER kinds\.words IS 'a parser';$/m);
    assert.match(script, /^CREATE TEXT SEARCH TEMPLATE kinds\.bare_words \(\n {4}LEXIZE = dsimple_lexize \);$/m);
    assert.match(script, /^DROP TEXT SEARCH PARSER IF EXISTS kinds\.words;$/m);
    assert.ok(script.indexOf('CREATE TEXT SEARCH TEMPLATE kinds.simple_words') < script.indexOf('CREATE TEXT SEARCH DICTIONARY kinds.a_words'));
    assert.ok(script.indexOf('CREATE TEXT SEARCH PARSER kinds.words') < script.indexOf('CREATE TEXT SEARCH CONFIGURATION kinds.a_config'));
  });

  test(`PG ${version}: an inheritance child declaring its parent's generated column comes back with it, plain in CREATE TABLE ... INHERITS`, () => {
    assert.match(script, /^CREATE TABLE kinds\.gen_declared \(\n {4}a integer,\n {4}b integer\n\)\nINHERITS \(kinds\.gen_parent\);$/m);
    assert.match(script, /^CREATE TABLE kinds\.gen_own \(\n {4}d integer GENERATED ALWAYS AS \(\(a \+ 1\)\) STORED\n\)\nINHERITS \(kinds\.gen_parent\);$/m);
    eachRestore((result, stage) => {
      for (const name of ['gen_declared', 'gen_inherited', 'gen_own']) {
        assert.ok(result.fullDump.some((line) => line.includes(`kinds.${name}`)), `kinds.${name} after the ${stage} restore`);
      }
    });
  });

  test(`PG ${version}: restore-db --clean stays one transaction across the script's own BEGIN/COMMIT around large objects`, async () => {
    // The same script failing after the large objects' COMMIT: everything, the drops included, is rolled back.
    const failing = join(directory, 'failing-after-large-objects.sql');
    writeFileSync(failing, script.replace(/^COMMIT;$/m, 'COMMIT;\nSELECT 1/0;'));
    await server.query('restored', 'CREATE TABLE public.left_alone (id integer)');
    await assert.rejects(restoreDatabase({ connection: connectionFor(server, 'restored'), input: failing, clean: true }), /division by zero[\s\S]*rolled back/);
    assert.deepEqual(await server.query('restored', 'SELECT count(*)::int AS n FROM public.left_alone'), [{ n: 0 }]);
    assertSameLines((await server.query<{ line: string }>('restored', largeObjectsQuery)).map((row) => row.line), source.largeObjects, 'large objects after the failed restore');
  });
}
