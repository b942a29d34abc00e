import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { describeFidelityProperties, prepareCluster, runFidelityRoundTrip, type FidelityRoundTrip } from './ddl-fidelity.ts';
import { assertSameLines, describeBoth, fingerprintDifferences } from './round-trip.ts';

/**
 * Issue 11 ("Found") on PostgreSQL 18, where NOT NULL is a constraint with a name, NO INHERIT and
 * a validity: the whole fidelity fixture (with its 18-only part) survives a dump with --owner, a
 * restore into an empty database and one over it, compared on the server (pg_dump 15 cannot read 18).
 */
let server: PostgresServer;
let roundTrip: FidelityRoundTrip;
const restored: Record<'first' | 'second', { schema: string[]; data: string[]; properties: string[] }> = {
  first: { schema: [], data: [], properties: [] },
  second: { schema: [], data: [], properties: [] },
};
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-ddl-fidelity-18-'));

before(async () => {
  server = await startPostgres('18');
  await prepareCluster(server);
  roundTrip = await runFidelityRoundTrip(server, directory, async (stage) => {
    restored[stage] = { ...(await describeBoth(server, 'restored')), properties: await describeFidelityProperties(server, 'restored') };
  });
});
after(async () => {
  await server?.stop();
});

function assertRestoredLike(source: string[], pick: (stage: (typeof restored)['first']) => string[], pattern: RegExp, what: string): void {
  assert.equal(roundTrip.firstRestoreError, null, 'restore into an empty database');
  assert.equal(roundTrip.secondRestoreError, null, 'second restore over the first (--clean)');
  const expected = source.filter((line) => pattern.test(line));
  assert.ok(expected.length > 0, `the source has ${what} matching ${pattern}`);
  for (const stage of ['first', 'second'] as const) {
    assertSameLines(pick(restored[stage]).filter((line) => pattern.test(line)), expected, `${what} after the ${stage} restore`);
  }
}

test('PG 18: named, NOT VALID, NO INHERIT and inherited NOT NULL constraints keep their names, validity, inheritance and comments', async () => {
  const source = await describeFidelityProperties(server, 'source');
  assertRestoredLike(source, (stage) => stage.properties, / n NOT NULL /, 'NOT NULL constraints');
  assert.ok(source.some((line) => line.includes('required_label_present n NOT NULL label NOT VALID')), 'the fixture has a NOT VALID NOT NULL');
  assert.ok(source.some((line) => line.includes('required_local_only n NOT NULL local_only NO INHERIT')), 'the fixture has a NO INHERIT NOT NULL');
});

test('PG 18: the whole fixture (constraints, indexes, privileges, comments) restores identical, twice', async () => {
  const source = { ...(await describeBoth(server, 'source')), properties: await describeFidelityProperties(server, 'source') };
  for (const stage of ['first', 'second'] as const) {
    assert.equal(stage === 'first' ? roundTrip.firstRestoreError : roundTrip.secondRestoreError, null, `${stage} restore`);
    assertSameLines(restored[stage].schema, source.schema, `schema after the ${stage} restore`);
    assertSameLines(restored[stage].data, source.data, `data after the ${stage} restore`);
    assertSameLines(restored[stage].properties, source.properties, `catalog properties after the ${stage} restore`);
  }
  assert.deepEqual(await fingerprintDifferences(server, 'restored', roundTrip.dump), [], "the dump's catalog fingerprint (with owners and privileges)");
});
