import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import { ParallelRestore, parallelDdlTables } from '../../src/postgres/parallel-restore.ts';

/**
 * restore-db --jobs in a partition tree, on connections that only record when each statement ran:
 * the partitions' own keys build side by side, but not beside a key on the partitioned table above
 * them, and a foreign key on the partitioned table has the tree to itself.
 */
test('restore-db --jobs: partitions\' keys side by side, a partitioned table\'s key and foreign key apart from them', async () => {
  const spans = new Map<string, { start: number; end: number }>();
  let clock = 0;
  const connect = async () =>
    ({
      query: async (sql: string) => {
        const start = (clock += 1);
        // Long enough for every task that may run beside this one to start first.
        await new Promise((resolve) => setTimeout(resolve, 30));
        spans.set(sql, { start, end: (clock += 1) });
      },
      end: async () => undefined,
    }) as unknown as pg.Client;
  const parallel = new ParallelRestore({ jobs: 4, pieceBytes: 1024, bufferBytes: 1 << 20, connect, workerSetup: [] });
  parallel.notePartition('ALTER TABLE ONLY public.p ATTACH PARTITION public.p1 FOR VALUES IN (1);');
  parallel.notePartition('ALTER TABLE ONLY public.p ATTACH PARTITION public.p2 FOR VALUES IN (2);');
  const statements = {
    parentKey: 'ALTER TABLE ONLY public.p\n    ADD CONSTRAINT p_pkey PRIMARY KEY (id);',
    firstKey: 'ALTER TABLE ONLY public.p1\n    ADD CONSTRAINT p1_pkey PRIMARY KEY (id);',
    secondKey: 'ALTER TABLE ONLY public.p2\n    ADD CONSTRAINT p2_pkey PRIMARY KEY (id);',
    foreignKey: 'ALTER TABLE public.p\n    ADD CONSTRAINT p_q_fkey FOREIGN KEY (q) REFERENCES public.q(id);',
    laterPartitionKey: 'ALTER TABLE ONLY public.p1\n    ADD CONSTRAINT p1_y_key UNIQUE (y);',
    elsewhere: 'ALTER TABLE ONLY public.other\n    ADD CONSTRAINT other_pkey PRIMARY KEY (id);',
  };
  try {
    for (const [index, sql] of Object.values(statements).entries()) await parallel.submitDdl(sql, parallelDdlTables(sql)!, index + 1);
    await parallel.barrier();
  } finally {
    await parallel.close();
  }
  const span = (name: keyof typeof statements) => spans.get(statements[name])!;
  const overlap = (a: keyof typeof statements, b: keyof typeof statements) => span(a).start < span(b).end && span(b).start < span(a).end;
  assert.ok(overlap('firstKey', 'secondKey'), 'two partitions\' keys build side by side');
  assert.ok(!overlap('parentKey', 'firstKey') && !overlap('parentKey', 'secondKey'), 'the partitioned table\'s key is built apart from its partitions\'');
  assert.ok(span('foreignKey').start > Math.max(span('firstKey').end, span('secondKey').end), 'the foreign key waits for the partitions\' keys');
  assert.ok(span('laterPartitionKey').start > span('foreignKey').end, 'a later statement on a partition waits for the foreign key on the tree');
  assert.ok(overlap('parentKey', 'elsewhere'), 'a table outside the tree goes on meanwhile');
});
