import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { captureFingerprint, compareFingerprints, describeDifference, loadFingerprint, type CatalogFingerprint } from '../../src/postgres/fingerprint.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { collationsFixture, fidelityFixture, prepareCluster } from './ddl-fidelity.ts';
import { assertSameLines, connectionFor, describeBoth, fixturePath, withoutAttver } from './round-trip.ts';

/**
 * The likely disaster restore: the old machine is gone and the new Immich stack runs a newer
 * PostgreSQL. A dump taken from PostgreSQL 14 (the Immich-like, fidelity, collations, more-kinds
 * and partitions fixtures in one database, with --owner) is restored into empty databases on
 * PostgreSQL 18 with gunzip | psql -v ON_ERROR_STOP=1, restore-db (default jobs) and restore-db
 * --jobs 1, and on PostgreSQL 16 with restore-db: no error, every table's rows equal, and the
 * schema equal except for the differences the newer server itself makes, each named and checked
 * below. The other way (18 into 14) restore-db refuses before it changes anything.
 */
const fixtures = [fixturePath, fidelityFixture, collationsFixture, ...['more-kinds', 'partitions'].map((name) => new URL(`../fixtures/${name}.sql`, import.meta.url))];

interface Restore {
  label: string;
  major: number;
  database: string;
  run: (database: string) => Promise<unknown>;
  error?: string | null;
  schema?: string[];
  data?: string[];
}

let from14: PostgresServer;
let to18: PostgresServer;
let to16: PostgresServer;
let dump: DumpFileResult;
let source: { schema: string[]; data: string[] };
let restores: Restore[] = [];
/** A foreign key the server made for a partition of the referenced or referencing table (conparentid set). */
interface DerivedForeignKey { name: string; tablePlain: string; tableQualified: string }
let derivedForeignKeys: DerivedForeignKey[] = [];

/** 18 names a derived foreign key <parent's name>_<n> where 14 and 16 wrote <parent's name><n> (the dump writes the parent's only). */
const derivedName = (name: string, major: number) => (major >= 18 ? name.replace(/(\d+)$/, '_$1') : name);

/**
 * Each partition's clone of its parent's trigger, with its own enabled state, read on 14 as
 * describeSchema reads a trigger: 15+ lists clones (tgisinternal false), 14 marks them internal,
 * so describeSchema shows them on the newer server only.
 */
let triggerClones: string[] = [];

const directory = mkdtempSync(join(tmpdir(), 'immich-backup-cross-version-'));

const targetOf = (restore: Restore) => (restore.major === 18 ? to18 : to16);

before(async () => {
  [from14, to18, to16] = await Promise.all([startPostgres('14'), startPostgres('18'), startPostgres('16')]);
  for (const server of [from14, to18, to16]) {
    await prepareCluster(server);
    await server.query('postgres', 'CREATE ROLE kinds_owner');
    await server.query('postgres', 'CREATE ROLE kinds_reader');
  }
  await from14.createDatabase('source');
  for (const fixture of fixtures) await from14.psql('source', readFileSync(fixture));
  dump = await dumpToFile({ connection: connectionFor(from14, 'source'), path: join(directory, 'from14.sql.gz'), owner: true });
  source = await describeBoth(from14, 'source');
  triggerClones = (
    await from14.query<{ line: string }>(
      'source',
      `SELECT 'trigger ' || pg_catalog.pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
                || ' comment=' || coalesce(pg_catalog.obj_description(t.oid, 'pg_trigger'), '') AS line
         FROM pg_catalog.pg_trigger t WHERE t.tgisinternal AND t.tgparentid <> 0 AND t.tgconstraint = 0`,
    )
  ).map((row) => row.line);
  derivedForeignKeys = await from14.query<DerivedForeignKey>(
    'source',
    `SELECT co.conname AS name, co.conrelid::regclass::text AS "tablePlain",
            pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS "tableQualified"
       FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE co.contype = 'f' AND co.conparentid <> 0`,
  );
  restores = [
    {
      label: 'PG 18, gunzip | psql', major: 18, database: 'from14_psql',
      run: async (database) => {
        const output = await to18.psql(database, createReadStream(dump.path).pipe(createGunzip()));
        // ON_ERROR_STOP stops at the first error; a warning is fine, an ERROR line is not.
        assert.doesNotMatch(output.stderr, /ERROR/);
      },
    },
    { label: 'PG 18, restore-db', major: 18, database: 'from14_jobs', run: (database) => restoreDatabase({ connection: connectionFor(to18, database), input: dump.path }) },
    { label: 'PG 18, restore-db --jobs 1', major: 18, database: 'from14_one_job', run: (database) => restoreDatabase({ connection: connectionFor(to18, database), input: dump.path, jobs: 1 }) },
    { label: 'PG 16, restore-db', major: 16, database: 'from14_jobs', run: (database) => restoreDatabase({ connection: connectionFor(to16, database), input: dump.path }) },
  ];
  for (const restore of restores) {
    const target = targetOf(restore);
    await target.createDatabase(restore.database);
    restore.error = null;
    try {
      await restore.run(restore.database);
    } catch (caught) {
      restore.error = (caught as Error).message;
    }
    Object.assign(restore, await describeBoth(target, restore.database));
  }
});
after(async () => {
  await Promise.all([from14?.stop(), to18?.stop(), to16?.stop()]);
});

async function eachRestore(check: (restore: Restore & { schema: string[]; data: string[] }) => Promise<void> | void): Promise<void> {
  assert.equal(restores.length, 4);
  for (const restore of restores) {
    assert.equal(restore.error, null, `${restore.label}: restore of the PostgreSQL 14 dump`);
    await check(restore as Restore & { schema: string[]; data: string[] });
  }
}

test('PG 14 → 16 and 18: gunzip | psql -v ON_ERROR_STOP=1, restore-db and restore-db --jobs 1 restore the dump without an error, every table with the same rows', async () => {
  assert.equal(dump.serverVersionNum >= 140000 && dump.serverVersionNum < 150000, true);
  assert.deepEqual(dump.unsupportedObjects, []);
  assert.ok(source.data.some((line) => line.startsWith('big_row rows=1')));
  for (const schema of ['fid', 'kinds', 'part']) assert.ok(source.data.some((line) => line.startsWith(`${schema}.`)), `the ${schema} fixture's tables are in the dump`);
  await eachRestore((restore) => assertSameLines(restore.data, source.data, `${restore.label}: rows`));
});

/**
 * The source's description as the newer server prints the same schema. Only these differences
 * are the server's own, and each is applied to what 14 described, never by leaving a kind of
 * object out:
 * - view and materialized view definitions: 16+ no longer prefixes a column with its table when
 *   the query reads one table; the 14 definition is deparsed again on the target (a temporary view).
 * - NOT NULL: 18 also records it as a constraint (contype n), named <table>_<column>_not_null or
 *   <domain>_not_null; such a constraint is accepted only on a column (domain) NOT NULL in the source.
 * - the foreign keys the server derives for partitions: named <name>_<n> by 18 (derivedName).
 * - a partition's clone of its parent's trigger, with its own enabled state: listed from 15
 *   (triggerClones).
 */
async function expectedSchemaOn(restore: Restore, restoredSchema: string[]): Promise<string[]> {
  const views = await redeparsedViews(restore);
  const expected = source.schema
    .filter((line) => !line.startsWith('view '))
    .map((line) => {
      const key = derivedForeignKeys.find((fk) => line.startsWith(`constraint ${fk.tablePlain} - ${fk.name} `));
      return key === undefined ? line : line.replace(` - ${key.name} `, ` - ${derivedName(key.name, restore.major)} `);
    })
    .concat([...views.values()].map((view) => `view ${view.name} ${view.plain}`));
  assert.ok(triggerClones.length > 0, 'the source has triggers cloned to partitions');
  if (restore.major >= 15) expected.push(...triggerClones);
  assert.equal(views.size, source.schema.filter((line) => line.startsWith('view ')).length, 'every view deparsed again');
  const notNullConstraints = restoredSchema.filter((line) => {
    const column = /^constraint (\S+) - (\S+) NOT NULL (\S+) validated=true comment=$/.exec(line);
    const domain = /^constraint - (\S+) (\S+) NOT NULL validated=true comment=$/.exec(line);
    // describeSchema prints a column's name unquoted, a constraint's definition quotes it.
    const columnName = column?.[3]?.replace(/^"(.*)"$/, '$1').replaceAll('""', '"');
    if (column !== null) return source.schema.some((described) => described.startsWith(`column ${column[1]}.${columnName} `) && described.includes(' notnull=true '));
    return domain !== null && source.schema.some((described) => described.startsWith(`type ${domain[1]} d `) && described.includes(' notnull=true '));
  });
  assert.equal(notNullConstraints.length > 0, restore.major >= 18, `${restore.label}: NOT NULL constraints only from 18`);
  return [...expected, ...notNullConstraints];
}

/** Each view of the source (14) with its definition deparsed by the restore's target server, as describeSchema and the fingerprint print it. */
async function redeparsedViews(restore: Restore): Promise<Map<string, { name: string; plain: string; qualified: string }>> {
  const sourceClient = await from14.connect('source');
  const client = await targetOf(restore).connect(restore.database);
  try {
    // Qualified as the dump reads definitions, so that the target can create them under any search_path.
    await sourceClient.query(`SELECT pg_catalog.set_config('search_path', '', false)`);
    const { rows } = await sourceClient.query<{ oid: number; name: string; definition: string }>(
      `SELECT c.oid::int AS oid, c.oid::regclass::text AS name, pg_catalog.pg_get_viewdef(c.oid) AS definition FROM pg_catalog.pg_class c
        WHERE c.relkind IN ('v', 'm') AND c.relnamespace::regnamespace::text NOT LIKE 'pg\\_%' AND c.relnamespace::regnamespace::text <> 'information_schema'`,
    );
    const views = new Map<string, { name: string; plain: string; qualified: string }>();
    for (const row of rows) {
      await client.query('BEGIN');
      try {
        await client.query(`CREATE TEMPORARY VIEW cross_version_view AS ${row.definition.replace(/;\s*$/, '')}`);
        const plain = await client.query<{ name: string; definition: string }>(
          `SELECT $1::regclass::text AS name, pg_catalog.pg_get_viewdef('pg_temp.cross_version_view'::regclass) AS definition`,
          [row.name],
        );
        await client.query(`SELECT pg_catalog.set_config('search_path', '', true)`);
        const qualified = await client.query<{ definition: string }>(`SELECT pg_catalog.pg_get_viewdef('pg_temp.cross_version_view'::regclass) AS definition`);
        views.set(row.name, { name: plain.rows[0]!.name, plain: plain.rows[0]!.definition, qualified: qualified.rows[0]!.definition });
      } finally {
        await client.query('ROLLBACK');
      }
    }
    return views;
  } finally {
    await sourceClient.end();
    await client.end();
  }
}

test('PG 14 → 16 and 18: the schema is the source\'s as the newer server prints it (views deparsed again, 18\'s NOT NULL constraints and derived key names, partitions\' trigger clones)', async () => {
  await eachRestore(async (restore) => {
    assertSameLines(restore.schema, await expectedSchemaOn(restore, restore.schema), `${restore.label}: schema`);
  });
});

/** A fingerprint value as the fingerprint keeps it (a long text as its digest, see fingerprint.ts). */
function fingerprintValue(text: string): string {
  return text.length > 512 ? `sha256:${createHash('sha256').update(text).digest('hex')}` : text;
}

/**
 * The dump's fingerprint (taken on 14) turned into what the target must show. Besides the view
 * definitions (above), these are the newer server's own, each applied to the objects it concerns:
 * - privileges (17+): MAINTAIN (m) was added to what a table's owner holds by default, so the
 *   owner's own full item arwdDxt is arwdDxtm (pg_dump leaves the owner's defaults alone too).
 * - extensions: created without VERSION (as pg_dump does), so the target installs its default
 *   version (earthdistance 1.1 becomes 1.2).
 * - a multirange type's owner (18): on 14 (and 16), ALTER TYPE range OWNER TO leaves the multirange
 *   with its old owner; 18 moves both (and a multirange's owner cannot be changed on its own), so
 *   the multirange has its range's owner and that owner's default privileges.
 * - derived foreign keys' names (derivedName); a partition's clone of its parent's trigger is no
 *   longer marked internal from 15 (tgisinternal).
 */
async function expectedFingerprintOn(restore: Restore): Promise<CatalogFingerprint> {
  const expected = withoutAttver(loadFingerprint(dump.fingerprint));
  const views = await redeparsedViews(restore);
  const versions = new Map(
    (await targetOf(restore).query<{ name: string; version: string }>(restore.database, 'SELECT name, default_version AS version FROM pg_catalog.pg_available_extensions'))
      .map((row) => [row.name, row.version]),
  );
  const multiranges = await from14.query<{ multirange: string; owner: string; acl: string | null }>(
    'source',
    `SELECT r.rngmultitypid::regtype::text AS multirange, rt.typowner::regrole::text AS owner, mt.typacl::text AS acl
       FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type rt ON rt.oid = r.rngtypid JOIN pg_catalog.pg_type mt ON mt.oid = r.rngmultitypid
      WHERE rt.typowner <> mt.typowner`,
  );
  assert.ok(multiranges.length > 0, 'the fixture has a multirange owned apart from its range on 14');
  const objects = new Map(expected.objects);
  for (const [object, properties] of objects) {
    const changed = { ...properties };
    if (Array.isArray(changed.acl) && restore.major >= 17) {
      changed.acl = changed.acl.map((item) => {
        const owners = /^(.*)=arwdDxt\/(.*)$/.exec(String(item));
        return owners !== null && owners[1] === owners[2] ? `${owners[1]}=arwdDxtm/${owners[2]}` : item;
      });
    }
    const view = /^(?:materialized )?view (.*)$/.exec(object);
    if (view !== null && changed.view_definition !== undefined) changed.view_definition = fingerprintValue(views.get(view[1]!)!.qualified);
    if (/^trigger /.test(object) && changed.tgparentid === true && restore.major >= 15) changed.tgisinternal = false;
    const extension = /^extension (.*)$/.exec(object);
    if (extension !== null && versions.has(extension[1]!)) changed.extversion = versions.get(extension[1]!);
    objects.set(object, changed);
  }
  // A derived key's parent may be derived too (a key to a partition of a partition).
  const renamed = new Map(derivedForeignKeys.map((key) => [`${key.name} on ${key.tableQualified}`, `${derivedName(key.name, restore.major)} on ${key.tableQualified}`]));
  for (const key of derivedForeignKeys) {
    const from = `table constraint ${key.name} on ${key.tableQualified}`;
    const properties = objects.get(from);
    // A key's copy for a referenced partition, on the key's own table, is named in the fingerprint after the key and that partition.
    if (properties === undefined) continue;
    objects.delete(from);
    const parent = renamed.get(String(properties.conparentid));
    objects.set(`table constraint ${renamed.get(`${key.name} on ${key.tableQualified}`)}`, parent === undefined ? properties : { ...properties, conparentid: parent });
  }
  for (const multirange of restore.major >= 18 ? multiranges : []) {
    assert.equal(multirange.acl, null, `${multirange.multirange}: default privileges on 14`);
    const properties = objects.get(`type ${multirange.multirange}`)!;
    objects.set(`type ${multirange.multirange}`, { ...properties, owner: multirange.owner, acl: [`=U/${multirange.owner}`, `${multirange.owner}=U/${multirange.owner}`] });
  }
  return { ...expected, objects };
}

test('PG 14 → 16 and 18: the catalog fingerprint equals the dump\'s, with only the newer server\'s own differences (views, extension versions, MAINTAIN, NOT NULL constraints, multirange owners, partitions\' keys and triggers)', async () => {
  await eachRestore(async (restore) => {
    const client = await targetOf(restore).connect(restore.database);
    let actual: CatalogFingerprint;
    try {
      actual = withoutAttver(await captureFingerprint(client, { owner: true }));
    } finally {
      await client.end();
    }
    const expected = await expectedFingerprintOn(restore);
    const differences = compareFingerprints(expected, actual).filter((difference) => {
      if (difference.change !== 'added') return true;
      if (restore.major < 18) return true;
      // 18's NOT NULL constraint of a column or domain that is NOT NULL in the source.
      const properties = actual.objects.get(difference.object)!;
      if (properties.contype !== 'n') return true;
      const onTable = /^table constraint .* on (.*)$/.exec(difference.object);
      const onDomain = /^domain constraint .* on (.*)$/.exec(difference.object);
      if (onTable !== null && Array.isArray(properties.conkey) && properties.conkey.length === 1) {
        const name = String(properties.conkey[0]);
        const column = [...expected.objects].find(([identity, column]) => /^(?:foreign )?table column /.test(identity) && column.attnotnull === true
          && actual.objects.get(identity)?.attnotnull === true
          && [`${onTable[1]}.${name}`, `${onTable[1]}."${name.replaceAll('"', '""')}"`].some((qualified) => identity.endsWith(` column ${qualified}`)));
        return column === undefined;
      }
      if (onDomain !== null) return expected.objects.get(`type ${onDomain[1]}`)?.typnotnull !== true;
      return true;
    });
    assert.deepEqual(differences.map(describeDifference), [], `${restore.label}: catalog fingerprint`);
  });
});

test('PG 18 → 14: restore-db refuses a dump from a newer PostgreSQL before it changes anything, into an empty database and with --clean', async () => {
  await to18.createDatabase('newer');
  await to18.psql('newer', `CREATE SCHEMA newer; CREATE TABLE newer.items (id integer PRIMARY KEY, label text NOT NULL); INSERT INTO newer.items VALUES (1, 'a'), (2, 'b');`);
  const newer = await dumpToFile({ connection: connectionFor(to18, 'newer'), path: join(directory, 'from18.sql.gz') });
  const refusal = (database: string) => new RegExp(`dumped from PostgreSQL 18 and database ${database} runs PostgreSQL 14: .*nothing was restored`);
  const userSchemas = async (database: string) =>
    (await from14.query<{ name: string }>(database, `SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`)).map((row) => row.name);

  await from14.createDatabase('from18');
  await assert.rejects(restoreDatabase({ connection: connectionFor(from14, 'from18'), input: newer.path, jobs: 1 }), refusal('from18'));
  await assert.rejects(restoreDatabase({ connection: connectionFor(from14, 'from18'), input: newer.path }), refusal('from18'));
  assert.deepEqual(await userSchemas('from18'), ['public'], 'the empty database is untouched');

  // --clean without a transaction would drop the schemas first: the refusal comes before that.
  await from14.createDatabase('kept');
  await from14.psql('kept', `CREATE SCHEMA kept; CREATE TABLE kept.things (id integer); INSERT INTO kept.things VALUES (7);`);
  for (const singleTransaction of [true, false]) {
    await assert.rejects(restoreDatabase({ connection: connectionFor(from14, 'kept'), input: newer.path, clean: true, singleTransaction }), refusal('kept'));
    assert.deepEqual(await userSchemas('kept'), ['kept', 'public']);
    assert.deepEqual(await from14.query('kept', 'SELECT id FROM kept.things'), [{ id: 7 }]);
  }
});
