import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { dumpToFile } from '../../src/postgres/dump.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { assertSameLines, connectionFor, describeBoth, fingerprintDifferences } from './round-trip.ts';

/**
 * A foreign key to a partitioned table gets a copy per referenced partition, named by the server
 * (<name>_1, <name>_2 on 18) in the order the copies are made: in the source, partitions attached
 * after the key was added come last; in a restore the key is added after every partition. Verify's
 * catalog fingerprint must not take the server's choice of names for a difference.
 */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-derived-keys-'));

before(async () => {
  server = await startPostgres('18');
  await server.createDatabase('source');
  await server.psql(
    'source',
    `CREATE TABLE public.targets (id integer PRIMARY KEY) PARTITION BY RANGE (id);
     CREATE TABLE public.targets_high PARTITION OF public.targets FOR VALUES FROM (100) TO (200);
     CREATE TABLE public.refs (id integer REFERENCES public.targets);
     CREATE TABLE public.refs_by_part (id integer, part integer, FOREIGN KEY (id) REFERENCES public.targets) PARTITION BY LIST (part);
     CREATE TABLE public.refs_by_part_1 PARTITION OF public.refs_by_part FOR VALUES IN (1);
     -- Attached after the keys, and sub-partitioned: its copies (and theirs) are named last in the source.
     CREATE TABLE public.targets_low PARTITION OF public.targets FOR VALUES FROM (0) TO (100) PARTITION BY RANGE (id);
     CREATE TABLE public.targets_low_1 PARTITION OF public.targets_low FOR VALUES FROM (0) TO (50);
     CREATE TABLE public.targets_low_2 PARTITION OF public.targets_low FOR VALUES FROM (50) TO (100);
     INSERT INTO public.targets VALUES (1), (60), (150);
     INSERT INTO public.refs VALUES (1), (60), (150);
     INSERT INTO public.refs_by_part VALUES (1, 1), (150, 1);`,
  );
});
after(async () => {
  await server?.stop();
});

test('a foreign key to partitions attached after it restores with the same fingerprint, its copies named by the server', async () => {
  const dump = await dumpToFile({ connection: connectionFor(server, 'source'), path: join(directory, 'keys.sql.gz') });
  await server.createDatabase('restored');
  await server.psql('restored', createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
  assert.deepEqual(await fingerprintDifferences(server, 'restored', dump), []);
  const [source, restored] = [await describeBoth(server, 'source'), await describeBoth(server, 'restored')];
  assertSameLines(restored.data, source.data, 'data');
  // The copies reference the same partitions, under names the restoring server chose.
  const copies = async (database: string) =>
    (await server.query<{ copy: string }>(
      database,
      `SELECT conrelid::regclass::text || ' -> ' || confrelid::regclass::text AS copy FROM pg_constraint
        WHERE contype = 'f' AND conparentid <> 0 ORDER BY 1`,
    )).map((row) => row.copy);
  assert.deepEqual(await copies('restored'), await copies('source'));
  assert.equal((await copies('source')).length, 9);
});
