import assert from 'node:assert/strict';
import { test } from 'node:test';
import { throttleProgress } from '../src/progress.ts';

test('throttleProgress: at most one report per interval, flush always goes through and restarts the interval', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const seen: number[] = [];
  const report = throttleProgress(1000, (value: number) => seen.push(value));
  report(1); // the first waits an interval from the start
  t.mock.timers.tick(999);
  report(2);
  t.mock.timers.tick(1);
  report(3);
  report(4);
  t.mock.timers.tick(500);
  report.flush(5);
  t.mock.timers.tick(999);
  report(6);
  t.mock.timers.tick(1);
  report(7);
  assert.deepEqual(seen, [3, 5, 7]);

  const immediate: number[] = [];
  const log = throttleProgress(1000, (value: number) => immediate.push(value), { immediateFirst: true });
  log(1);
  log(2);
  t.mock.timers.tick(1000);
  log(3);
  assert.deepEqual(immediate, [1, 3]);
});
