import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, test } from 'node:test';
import { shapePieceBytes } from '../../src/postgres/parallel-data.ts';
import { dumpToFile } from '../../src/postgres/dump.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { connectionFor } from './round-trip.ts';

/**
 * Issue 2, acceptance 5: a dump taken while another connection keeps writing restores to a
 * consistent state. `counter.n` and the number of `log` rows change together in one transaction,
 * so any dump that mixes two moments in time shows them disagreeing.
 */
let server: PostgresServer;
const directory = mkdtempSync(join(tmpdir(), 'immich-backup-consistency-'));

before(async () => {
  server = await startPostgres('14');
  await server.createDatabase('busy');
  await server.psql(
    'busy',
    `CREATE TABLE counter (id integer PRIMARY KEY, n bigint NOT NULL);
     INSERT INTO counter VALUES (1, 0);
     CREATE TABLE log (id bigserial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp(), note text);
     -- Enough data (alphabetically between counter and log) that the dump takes a while.
     CREATE TABLE filler (id integer PRIMARY KEY, payload text);
     INSERT INTO filler SELECT g, md5(g::text) || repeat('x', 200) FROM generate_series(1, 300000) g;`,
  );
});
after(async () => {
  await server?.stop();
});

// The last variant copies `filler` (about 80 MB) in 1 MiB page ranges on three connections.
const variants = [
  { name: 'jobs-1', jobs: 1 },
  { name: 'jobs-3', jobs: 3 },
  { name: 'jobs-3-pieces', jobs: 3, tablePieceBytes: 1024 * 1024 },
];
for (const { name, ...options } of variants) test(`a dump taken under concurrent writes restores to a consistent state (${name})`, async () => {
  const writer = await server.connect('busy');
  let writing = true;
  let transactions = 0;
  const writes = (async () => {
    while (writing) {
      await writer.query('BEGIN');
      await writer.query('UPDATE counter SET n = n + 1 WHERE id = 1');
      await writer.query(`INSERT INTO log (note) VALUES ('written during the dump')`);
      await writer.query('COMMIT');
      transactions += 1;
    }
  })();
  try {
    for (const deadline = Date.now() + 15_000; transactions === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const dump = await dumpToFile({ connection: connectionFor(server, 'busy'), path: join(directory, `busy-${name}.sql.gz`), ...options });
    // The writer kept writing after the dump (on a loaded machine a commit may take a while).
    const before = transactions;
    for (const deadline = Date.now() + 15_000; transactions <= before && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(transactions > before, 'the writer kept writing after the dump');
    writing = false;
    await writes;

    await server.createDatabase(`busy_restored_${name.replaceAll('-', '_')}`);
    await server.psql(`busy_restored_${name.replaceAll('-', '_')}`, createReadStream(dump.path).pipe(createGunzip()), ['--single-transaction']);
    const [row] = await server.query<{ n: string; logged: string; nextId: string; maxId: string }>(
      `busy_restored_${name.replaceAll('-', '_')}`,
      `SELECT (SELECT n FROM counter)::text AS n, (SELECT count(*) FROM log)::text AS logged,
              (SELECT nextval('log_id_seq'))::text AS "nextId", (SELECT coalesce(max(id), 0) FROM log)::text AS "maxId"`,
    );
    assert.ok(Number(row!.n) > 0, 'the dump saw some of the concurrent writes');
    assert.equal(row!.n, row!.logged, 'counter and log agree in the restored database');
    assert.ok(Number(row!.nextId) > Number(row!.maxId), 'the sequence continues after the restored rows');
    if (options.tablePieceBytes !== undefined) assert.ok(dump.tables.find((table) => table.name === 'filler')!.pieceBytes!.length > 10, 'filler was copied in pieces');
    if (name === 'jobs-3') {
      // Pieces sized from the database's shape: filler is far below the old fixed 128 MiB, but it is
      // most of the data, so it is cut for all three jobs to compress it (issue 16).
      const pieces = dump.tables.find((table) => table.name === 'filler')!.pieceBytes?.length ?? 1;
      assert.ok(pieces >= 6, `filler in ${pieces} piece(s)`);
    }
    const counted = dump.tables.find((table) => table.name === 'log')!;
    assert.equal(String(counted.rows), row!.logged, 'the manifest row count matches what was restored');
  } finally {
    writing = false;
    await writes.catch(() => undefined);
    await writer.end();
  }
});

test('pieces are sized from the whole data and the jobs: about four per job, 8 to 128 MiB', () => {
  const mib = 1024 * 1024;
  assert.equal(shapePieceBytes(300 * mib, 4), Math.ceil((300 * mib) / 16));
  assert.equal(shapePieceBytes(40 * mib, 4), 8 * mib);
  assert.equal(shapePieceBytes(20_000 * mib, 4), 128 * mib);
});
