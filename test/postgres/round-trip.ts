import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { manifestFormatVersion, type Manifest } from '../../src/backup/manifest.ts';
import { runFolderName } from '../../src/backup/run-folders.ts';
import { runVerify } from '../../src/backup/verify.ts';
import { dumpFileName, manifestFileName } from '../../src/postgres/dump-manifest.ts';
import { dumpToFile, type DumpFileResult } from '../../src/postgres/dump.ts';
import { restoreDatabase } from '../../src/postgres/restore.ts';
import { applyDumpSessionSettings, copyTableData } from '../../src/postgres/table-data.ts';
import { TableHasher } from '../../src/postgres/table-hash.ts';
import { captureFingerprint, compareFingerprints, describeDifference, loadFingerprint, type CatalogFingerprint, type ObjectProperties } from '../../src/postgres/fingerprint.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { describeData, describeSchema } from '../support/schema.ts';

export const fixturePath = new URL('../fixtures/immich-like.sql', import.meta.url);

/**
 * `pg_dump -s` output without the lines that legitimately differ between two databases: the
 * random \restrict key, and the `pg_attver` column option that this machine's Debian build of
 * PostgreSQL 15 stamps on every column with a per-database value (masked where a column has other
 * options too).
 */
export function comparableSchemaDump(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !/^\\(un)?restrict /.test(line) && !/ SET \(pg_attver=\d+\);$/.test(line))
    .map((line) => line.replace(/\bpg_attver=\d+/, 'pg_attver=N'));
}

/** Asserts two line lists are equal, reporting only the lines that differ (not two whole schemas). */
export function assertSameLines(actual: string[], expected: string[], what: string): void {
  const expectedSet = new Set(expected);
  const actualSet = new Set(actual);
  const missing = expected.filter((line) => !actualSet.has(line));
  const extra = actual.filter((line) => !expectedSet.has(line));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${what} differs`);
  assert.equal(actual.length, expected.length, `${what}: same lines, different counts`);
}

export function connectionFor(server: PostgresServer, database: string) {
  return { host: server.host, port: server.port, user: server.user, password: server.password, database };
}

/** The fingerprint without the per-database `pg_attver` column option of this machine's PostgreSQL 15 build (see comparableSchemaDump). */
export function withoutAttver(fingerprint: CatalogFingerprint): CatalogFingerprint {
  const objects = new Map<string, ObjectProperties>();
  for (const [object, properties] of fingerprint.objects) {
    const options = properties.attoptions;
    if (!Array.isArray(options)) {
      objects.set(object, properties);
      continue;
    }
    const kept = options.filter((option) => typeof option !== 'string' || !option.startsWith('pg_attver='));
    const { attoptions: _, ...rest } = properties;
    objects.set(object, kept.length === 0 ? rest : { ...rest, attoptions: kept });
  }
  return { ...fingerprint, objects };
}

/** What the catalog fingerprint of `database` differs in from the one `dump` stored (how verify compares a restore). */
export async function fingerprintDifferences(server: PostgresServer, database: string, dump: DumpFileResult): Promise<string[]> {
  const client = await server.connect(database);
  try {
    const expected = loadFingerprint(dump.fingerprint);
    return compareFingerprints(withoutAttver(expected), withoutAttver(await captureFingerprint(client, { owner: expected.owner }))).map(describeDifference);
  } finally {
    await client.end();
  }
}

/** Into an empty database with psql, over that with restore-db --clean (one transaction), into another with four connections. */
export const restoreStages = ['psql', 'restore-db --clean', 'restore-db --jobs 4'] as const;
export type RestoreStage = (typeof restoreStages)[number];

/**
 * Restores `dump` the three ways of restoreStages (databases `restored` and `restored_jobs`, made
 * here) and, after each, describes the result with `describe` and the dump's fingerprint
 * differences; a failing restore is recorded as its error, not thrown. `psqlArgs` go to psql.
 */
export async function restoreThreeWays<Described>(
  server: PostgresServer,
  dump: DumpFileResult,
  describe: (database: string) => Promise<Described>,
  psqlArgs: string[] = [],
): Promise<Record<RestoreStage, Described & { error: string | null; fingerprint: string[] }>> {
  await server.createDatabase('restored');
  await server.createDatabase('restored_jobs');
  const stages: Array<[RestoreStage, string, () => Promise<unknown>]> = [
    ['psql', 'restored', () => server.psql('restored', createReadStream(dump.path).pipe(createGunzip()), psqlArgs)],
    ['restore-db --clean', 'restored', () => restoreDatabase({ connection: connectionFor(server, 'restored'), input: dump.path, clean: true })],
    ['restore-db --jobs 4', 'restored_jobs', () => restoreDatabase({ connection: connectionFor(server, 'restored_jobs'), input: dump.path, jobs: 4 })],
  ];
  const restored: Partial<Record<RestoreStage, Described & { error: string | null; fingerprint: string[] }>> = {};
  for (const [stage, database, run] of stages) {
    let error: string | null = null;
    try {
      await run();
    } catch (caught) {
      error = (caught as Error).message;
    }
    restored[stage] = { error, ...(await describe(database)), fingerprint: await fingerprintDifferences(server, database, dump) };
  }
  return restored as Record<RestoreStage, Described & { error: string | null; fingerprint: string[] }>;
}

/**
 * What `verify` finds wrong with the tables' data of `dump` of `database` (restored into a scratch
 * database of the same server, checked against the manifest), with `dump` as the only run of a
 * backup folder in `directory`. Catalog differences are left out: this machine's PostgreSQL 15 build
 * gives every column a per-database `pg_attver` option (callers compare catalogs with
 * fingerprintDifferences, which ignores it).
 */
export async function verifyProblems(server: PostgresServer, database: string, dump: DumpFileResult, directory: string): Promise<string[]> {
  const backupDir = mkdtempSync(join(directory, 'backups-'));
  const startedAt = new Date();
  const folder = join(backupDir, runFolderName(startedAt));
  mkdirSync(folder);
  const bytes = readFileSync(dump.path);
  writeFileSync(join(folder, dumpFileName), bytes);
  const manifest: Manifest = {
    formatVersion: manifestFormatVersion,
    tool: 'immich-backup',
    toolVersion: '0.1.0',
    runId: runFolderName(startedAt),
    status: 'complete',
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    database: { serverVersion: dump.serverVersion, name: database, file: dumpFileName, tables: dump.tables, unsupportedObjects: [], fingerprint: dump.fingerprint },
    files: [{ path: dumpFileName, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }],
    timings: {},
    warnings: [],
    error: null,
  };
  writeFileSync(join(folder, manifestFileName), JSON.stringify(manifest));
  const result = await runVerify({ backupDir, database: connectionFor(server, database) });
  assert.equal(result.tablesChecked, dump.tables.length, `every table is checked: ${result.problems.join('\n')}`);
  return result.problems.filter((problem) => !problem.startsWith('catalog: '));
}

export async function describeBoth(server: PostgresServer, database: string) {
  const client = await server.connect(database);
  try {
    return { schema: await describeSchema(client), data: await describeData(client) };
  } finally {
    await client.end();
  }
}

/**
 * Issue 2's acceptance 2–3 on one server version: the Immich-like fixture, dumped natively,
 * restored with the user's own command (gunzip | psql -v ON_ERROR_STOP=1), is identical to the
 * source in schema and data; restoring the same dump again over it (the --clean path) keeps it so.
 */
export function defineRoundTripTests(version: string, dumpOptions: { jobs?: number; tablePieceBytes?: number } = {}): () => DumpFileResult {
  const label = [
    `PG ${version}`,
    ...(dumpOptions.jobs === undefined ? [] : [`${dumpOptions.jobs} job(s)`]),
    ...(dumpOptions.tablePieceBytes === undefined ? [] : [`tables in ${dumpOptions.tablePieceBytes / 1024} KiB pieces`]),
  ].join(', ');
  let server: PostgresServer;
  let dump: DumpFileResult;
  const directory = mkdtempSync(join(tmpdir(), `immich-backup-roundtrip-${version}-`));

  before(async () => {
    server = await startPostgres(version);
    await server.createDatabase('source');
    await server.psql('source', readFileSync(fixturePath));
    dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'dump.sql.gz'), ...dumpOptions });
  });
  after(async () => {
    await server?.stop();
  });

  test(`${label}: the dump lists every table with rows, bytes and a content hash`, () => {
    const names = dump.tables.map((table) => `${table.schema}.${table.name}`);
    assert.ok(names.includes('public.asset'));
    assert.ok(names.includes('public.no columns'));
    assert.ok(names.includes('Odd Schema.select'));
    const bigRow = dump.tables.find((table) => table.name === 'big_row')!;
    assert.equal(bigRow.rows, 1);
    assert.ok(bigRow.bytes > 10_000_000, `big_row has ${bigRow.bytes} bytes`);
    assert.match(bigRow.sha256, /^[0-9a-f]{64}$/);
    assert.equal(dump.tables.find((table) => table.name === 'no columns')!.rows, 2);
    assert.equal(dump.serverVersionNum >= Number(version) * 10000, true);
  });

  test(`${label}: gunzip | psql restores an identical database, and restoring again over it (--clean) too`, async () => {
    await server.createDatabase('restored');
    await server.psql('restored', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
    const source = await describeBoth(server, 'source');
    const restored = await describeBoth(server, 'restored');
    assertSameLines(restored.schema, source.schema, 'schema');
    assertSameLines(restored.data, source.data, 'data');
    assert.ok(source.data.some((line) => line.startsWith('big_row rows=1')));
    assert.deepEqual(await fingerprintDifferences(server, 'restored', dump), [], 'catalog fingerprint');

    if (Number(version) <= 15) {
      // The reference: the machine's pg_dump 15 sees no difference either.
      const expected = comparableSchemaDump(await server.pgDump('source', ['--schema-only']));
      assertSameLines(comparableSchemaDump(await server.pgDump('restored', ['--schema-only'])), expected, 'pg_dump --schema-only');
    }

    await server.psql('restored', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
    const again = await describeBoth(server, 'restored');
    assertSameLines(again.schema, source.schema, 'schema after the second restore');
    assertSameLines(again.data, source.data, 'data after the second restore');
    assert.deepEqual(await fingerprintDifferences(server, 'restored', dump), [], 'catalog fingerprint after the second restore');
    if (Number(version) <= 15) {
      assertSameLines(
        comparableSchemaDump(await server.pgDump('restored', ['--schema-only'])),
        comparableSchemaDump(await server.pgDump('source', ['--schema-only'])),
        'pg_dump --schema-only after the second restore',
      );
    }
  });

  test(`${label}: restore-db with --jobs 1 and with --jobs 4 (tables in 64 KiB pieces) restores the same database`, async () => {
    const source = await describeBoth(server, 'source');
    for (const [database, parallel] of [['restored_jobs1', { jobs: 1 }], ['restored_jobs4', { jobs: 4, pieceBytes: 65536 }]] as const) {
      await server.createDatabase(database);
      const result = await restoreDatabase({ connection: connectionFor(server, database), input: dump.path, ...parallel });
      assert.equal(result.copiedRows, dump.tables.reduce((sum, table) => sum + table.rows, 0), `${database}: rows loaded`);
      if (parallel.jobs === 4) {
        // Really in parallel: table data and indexes and keys on workers, several at once (cutting is tested in restore-parallel.test.ts).
        assert.ok(result.parallel !== undefined && result.parallel.pieces > 0 && result.parallel.ddl > 10 && result.parallel.mostAtOnce > 1, JSON.stringify(result.parallel));
      }
      const restored = await describeBoth(server, database);
      assertSameLines(restored.schema, source.schema, `${database}: schema`);
      assertSameLines(restored.data, source.data, `${database}: data`);
      assert.deepEqual(await fingerprintDifferences(server, database, dump), [], `${database}: catalog fingerprint`);
    }
  });

  test(`${label}: every restored table hashes to the manifest's value (how verify checks a restore)`, async () => {
    const client = await server.connect('restored');
    try {
      await applyDumpSessionSettings(client);
      for (const table of dump.tables) {
        const columns = await client.query<{ name: string }>(
          `SELECT quote_ident(attname) AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
          [`${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`],
        );
        const list = columns.rows.length === 0 ? '' : `(${columns.rows.map((column) => column.name).join(', ')})`;
        const copied = { schema: table.schema, name: table.name, rows: 0, bytes: 0, sha256: '' };
        const copySql = `COPY ${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)} ${list} TO STDOUT`;
        for await (const _ of copyTableData(client, copySql, copied, new TableHasher(table.pieceBytes))) void _;
        assert.deepEqual({ rows: copied.rows, bytes: copied.bytes, sha256: copied.sha256 }, { rows: table.rows, bytes: table.bytes, sha256: table.sha256 }, `${table.schema}.${table.name}`);
      }
    } finally {
      await client.end();
    }
  });

  test(`${label}: sequences continue where they were (identity, serial, plain)`, async () => {
    const rows = await server.query<{ next: string }>(
      'restored',
      `SELECT nextval('public.naturalearth_countries_tmp_id_seq')::text AS next
       UNION ALL SELECT nextval('public.migrations_id_seq')::text
       UNION ALL SELECT nextval('"Odd Schema"."counter seq"')::text
       UNION ALL SELECT nextval('public.untouched_seq')::text`,
    );
    assert.deepEqual(rows.map((row) => row.next), ['3', '3', '9', '1']);
  });
  return () => dump;
}
