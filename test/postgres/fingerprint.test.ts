import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import {
  captureFingerprint,
  compareFingerprints,
  describeDifference,
  loadFingerprint,
  storeFingerprint,
  type CatalogFingerprint,
} from '../../src/postgres/fingerprint.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor, fixturePath } from './round-trip.ts';

/**
 * Issue 11, item 2: the catalog fingerprint, taken in the dump's snapshot with catalog queries of
 * its own, is equal on a faithful restore and names the object and property of every loss,
 * including properties the DDL generator might not write at all.
 */
let server: PostgresServer;
let dump: DumpFileResult;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-fingerprint-'));

before(async () => {
  server = await startPostgres('17');
  await server.createDatabase('source');
  await server.psql('source', readFileSync(fixturePath));
  dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'dump.sql.gz') });
});
after(async () => {
  await server?.stop();
});

async function restoreCopy(name: string, path = dump.path): Promise<void> {
  await server.createDatabase(name);
  await server.psql(name, createReadStream(path).pipe(createGunzip()), ['--single-transaction']);
}

async function fingerprintOf(database: string, owner = false): Promise<CatalogFingerprint> {
  const client = await server.connect(database);
  try {
    return await captureFingerprint(client, { owner });
  } finally {
    await client.end();
  }
}

function differencesAgainstDump(restored: CatalogFingerprint): string[] {
  return compareFingerprints(loadFingerprint(dump.fingerprint), restored).map(describeDifference);
}

test('the fixture restored with gunzip | psql has exactly the fingerprint the dump stored', async () => {
  await restoreCopy('restored');
  const expected = loadFingerprint(dump.fingerprint);
  assert.ok(expected.objects.size > 250, `${expected.objects.size} objects described`);
  for (const object of ['table public.asset', 'table column public.asset.id', 'trigger asset_delete_audit on public.asset', 'function public.updated_at()']) {
    assert.ok(expected.objects.has(object), object);
  }
  assert.equal(expected.objects.get('table public.asset')?.comment, 'photos and videos');
  assert.deepEqual(differencesAgainstDump(await fingerprintOf('restored')), []);
});

test('a property removed from the restored copy is named with its object: a column comment, a trigger disabled, a column default', async () => {
  await restoreCopy('lossy');
  await server.query(
    'lossy',
    `COMMENT ON COLUMN public.asset."originalPath" IS NULL;
     ALTER TABLE public.asset DISABLE TRIGGER "asset_updatedAt";
     ALTER TABLE public.asset ALTER COLUMN "updatedAt" DROP DEFAULT`,
  );
  assert.deepEqual(differencesAgainstDump(await fingerprintOf('lossy')), [
    `table column public.asset."originalPath": comment (dump: "absolute path inside the immich container", restored: none)`,
    `table column public.asset."updatedAt": atthasdef (dump: true, restored: false); default (dump: "now()", restored: none)`,
    `trigger "asset_updatedAt" on public.asset: tgenabled (dump: "O", restored: "D")`,
  ]);
});

test('properties of the whole catalog row count, not only what the DDL generator reads: reloptions, statistics targets, storage', async () => {
  await restoreCopy('altered');
  await server.query(
    'altered',
    `ALTER TABLE public.album SET (fillfactor = 70);
     ALTER TABLE public.asset ALTER COLUMN "ownerId" SET STATISTICS 321;
     ALTER TABLE public.asset ALTER COLUMN "originalPath" SET STORAGE EXTERNAL;
     ALTER INDEX public."asset_localDateTime_idx" ALTER COLUMN 1 SET STATISTICS 55`,
  );
  const differences = differencesAgainstDump(await fingerprintOf('altered'));
  assert.equal(differences.length, 4, differences.join('\n'));
  assert.match(differences.join('\n'), /^table public\.album: reloptions \(dump: none, restored: \["fillfactor=70"\]\)$/m);
  assert.match(differences.join('\n'), /^table column public\.asset\."ownerId": attstattarget \(dump: none, restored: 321\)$/m);
  assert.match(differences.join('\n'), /^table column public\.asset\."originalPath": attstorage \(dump: "x", restored: "e"\)$/m);
  assert.match(differences.join('\n'), /^index column public\."asset_localDateTime_idx"\.\S+: attstattarget \(dump: none, restored: 55\)$/m);
});

test('objects missing or added are named; owners and grants count only when the dump kept them (--owner)', async () => {
  await restoreCopy('reshaped');
  await server.query(
    'reshaped',
    `DROP TABLE public.system_metadata;
     CREATE TABLE public.stray (id integer);
     ALTER DATABASE reshaped SET app.token = 'not-for-notifications';
     CREATE ROLE fingerprint_reader;
     GRANT SELECT (id) ON public.asset TO fingerprint_reader`,
  );
  const differences = differencesAgainstDump(await fingerprintOf('reshaped'));
  assert.ok(differences.includes('table public.system_metadata: missing from the restored database'), differences.join('\n'));
  assert.ok(differences.includes('table column public.system_metadata.value: missing from the restored database'));
  assert.ok(differences.includes("table public.stray: in the restored database but not in the dump's fingerprint"));
  assert.ok(!differences.some((line) => /fingerprint_reader|acl/.test(line)), 'without --owner, grants are not compared');
  const settings = differences.find((line) => line.startsWith('database settings current database: setconfig'));
  assert.match(settings ?? '', /app\.token=…/, differences.join('\n'));
  assert.doesNotMatch(differences.join('\n'), /not-for-notifications/, 'setting values are not shown');

  // With --owner, grants on built-in and extension objects (compared with pg_init_privs) count too.
  await server.query(
    'reshaped',
    `REVOKE ALL ON LANGUAGE plpgsql FROM PUBLIC;
     REVOKE EXECUTE ON FUNCTION public.similarity(text, text) FROM PUBLIC;
     GRANT EXECUTE ON FUNCTION pg_catalog.pg_sleep(double precision) TO fingerprint_reader`,
  );
  const withOwners = compareFingerprints(await fingerprintOf('source', true), await fingerprintOf('reshaped', true)).map(describeDifference);
  for (const expected of [
    'table column public.asset.id: acl (dump: none, restored: ["fingerprint_reader=r/postgres"])',
    'language plpgsql: in the restored database',
    'function public.similarity(pg_catalog.text,pg_catalog.text): in the restored database',
    'function pg_catalog.pg_sleep(double precision): in the restored database',
  ]) {
    assert.ok(withOwners.some((line) => line.startsWith(expected)), `${expected}\n${withOwners.join('\n')}`);
  }
  await server.query(
    'reshaped',
    `REVOKE ALL ON public.asset FROM fingerprint_reader; REVOKE ALL ON FUNCTION pg_catalog.pg_sleep(double precision) FROM fingerprint_reader;
     DROP ROLE fingerprint_reader`,
  );
});

test('objects the dump listed as unsupported are left out of its fingerprint, with what lives on them', async () => {
  await server.createDatabase('partly');
  await server.query(
    'partly',
    `CREATE TABLE kept (id integer PRIMARY KEY, label text);
     CREATE FUNCTION t_handler() RETURNS language_handler LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_call_handler';
     CREATE LANGUAGE t_lang HANDLER t_handler;
     COMMENT ON LANGUAGE t_lang IS 'skipped with its comment';
     CREATE FUNCTION positive(integer) RETURNS boolean LANGUAGE t_lang AS 'unused';
     CREATE TABLE checked (a integer CHECK (positive(a)));
     COMMENT ON TABLE checked IS 'skipped with its comment'`,
  );
  const partial = await dumpToFile({ connection: connectionFor(server, 'partly'), path: join(directory, 'partly.sql.gz'), allowUnsupported: true });
  assert.deepEqual(partial.unsupportedObjects.map((o) => `${o.kind} ${o.name}`).sort(), ['constraint checked_a_check', 'function positive(integer)', 'procedural language t_lang', 'table checked']);
  const stored = loadFingerprint(partial.fingerprint);
  assert.ok(stored.objects.has('table public.kept'));
  assert.ok(![...stored.objects.keys()].some((object) => object.includes('t_lang') || object.includes('checked')), [...stored.objects.keys()].join('\n'));
  await restoreCopy('partly_restored', partial.path);
  assert.deepEqual(compareFingerprints(stored, await fingerprintOf('partly_restored')).map(describeDifference), []);
});

test('no false differences: privileges equal to the default written out, a detached partition\'s key, an FK clone of a skipped table', async () => {
  await server.createDatabase('quirks');
  // measured is skipped through its CHECK, which calls a function of a language the dump does not write
  // (added after the DETACH, so the detached partition is written).
  await server.query(
    'quirks',
    `REVOKE USAGE ON LANGUAGE sql FROM PUBLIC; GRANT USAGE ON LANGUAGE sql TO PUBLIC;
     CREATE FUNCTION t_handler() RETURNS language_handler LANGUAGE c AS '$libdir/plpgsql', 'plpgsql_call_handler';
     CREATE LANGUAGE t_lang HANDLER t_handler;
     CREATE FUNCTION measured_ok(date) RETURNS boolean LANGUAGE t_lang AS 'unused';
     CREATE TABLE measured (at date NOT NULL, PRIMARY KEY (at)) PARTITION BY RANGE (at) USING heap;
     CREATE TABLE measured_2024 PARTITION OF measured FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
     CREATE TABLE measured_2025 PARTITION OF measured FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
     ALTER TABLE measured DETACH PARTITION measured_2024;
     ALTER TABLE measured ADD CONSTRAINT measured_checked CHECK (measured_ok(at));
     CREATE TABLE reading (at date REFERENCES measured (at))`,
  );
  const quirky = await dumpToFile({ connection: connectionFor(server, 'quirks'), path: join(directory, 'quirks.sql.gz'), owner: true, allowUnsupported: true });
  assert.ok(quirky.unsupportedObjects.some((object) => object.name === 'measured'), 'the partitioned table whose CHECK calls a skipped function is skipped');
  const stored = loadFingerprint(quirky.fingerprint);
  assert.ok(stored.objects.has('table constraint measured_2024_pkey on public.measured_2024'));
  assert.ok(![...stored.objects.keys()].some((object) => object.includes('on public.reading')), 'the FK to the skipped table and its clones are left out');
  await restoreCopy('quirks_restored', quirky.path);
  assert.deepEqual(compareFingerprints(stored, await fingerprintOf('quirks_restored', true)).map(describeDifference), []);
});

test("the stored fingerprint of an Immich-sized schema (100 tables) stays small, and a damaged one is refused", async () => {
  await server.createDatabase('wide');
  await server.query(
    'wide',
    `DO $$ BEGIN
       FOR t IN 1..100 LOOP
         EXECUTE format('CREATE TABLE %I (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "ownerId" uuid, "createdAt" timestamptz NOT NULL DEFAULT now(),
                          "updatedAt" timestamptz NOT NULL DEFAULT now(), "deletedAt" timestamptz, name varchar NOT NULL DEFAULT '''', description text,
                          "isVisible" boolean NOT NULL DEFAULT true, "sortOrder" integer, "updateId" uuid NOT NULL DEFAULT gen_random_uuid())', 'table_' || t);
         EXECUTE format('CREATE INDEX %I ON %I ("ownerId")', 'IDX_owner_' || t, 'table_' || t);
         EXECUTE format('CREATE INDEX %I ON %I ("updateId", id)', 'IDX_update_' || t, 'table_' || t);
         EXECUTE format('COMMENT ON COLUMN %I.description IS %L', 'table_' || t, 'what the user typed');
         IF t > 1 THEN EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY ("ownerId") REFERENCES table_1 (id) ON DELETE CASCADE', 'table_' || t, 'FK_' || t); END IF;
       END LOOP;
     END $$`,
  );
  const fingerprint = await fingerprintOf('wide');
  const stored = await storeFingerprint(fingerprint);
  const bytes = JSON.stringify(stored).length;
  console.log(`fingerprint of 100 tables: ${fingerprint.objects.size} objects, ${bytes} bytes in manifest.json (${stored.properties.length} of them compressed properties)`);
  assert.ok(fingerprint.objects.size > 1500);
  assert.ok(bytes < 300_000, `${bytes} bytes`);
  assert.equal(compareFingerprints(loadFingerprint(stored), fingerprint).length, 0);

  const tampered = { ...stored, objects: { ...stored.objects, 'table public.table_1': '0'.repeat(64) } };
  assert.throws(() => loadFingerprint(tampered), /properties of table public\.table_1 do not match its digest/);
});
