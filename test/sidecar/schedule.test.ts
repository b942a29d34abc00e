import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextRunAfter, Schedule } from '../../src/service/schedule.ts';

/**
 * The schedule across daylight-saving changes (Europe/Berlin, 2027): on 28 March 02:00–03:00 does
 * not exist, on 31 October 02:00–03:00 happens twice. Each day gets exactly one nightly run.
 */
const berlin = 'Europe/Berlin';

function localDay(instant: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: berlin, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

function localTime(instant: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: berlin, hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(instant);
}

/** Every run from `from` to `to`, following nextRunAfter as the scheduler does. */
function runsBetween(expression: string, from: string, to: string): Date[] {
  const runs: Date[] = [];
  let cursor = new Date(from);
  for (;;) {
    cursor = nextRunAfter(expression, berlin, cursor);
    if (cursor.getTime() > Date.parse(to)) return runs;
    runs.push(cursor);
  }
}

function runsPerDay(runs: Date[]): Record<string, string[]> {
  const days: Record<string, string[]> = {};
  for (const run of runs) (days[localDay(run)] ??= []).push(localTime(run));
  return days;
}

test('spring forward (2027-03-28): a 02:00 or 02:30 job runs once, at 03:00 CEST, the first instant after the gap', () => {
  for (const expression of ['0 2 * * *', '30 2 * * *']) {
    const runs = runsBetween(expression, '2027-03-26T12:00:00Z', '2027-03-30T12:00:00Z');
    const minute = expression.startsWith('30') ? '30' : '00';
    assert.deepEqual(runsPerDay(runs), {
      '2027-03-27': [`02:${minute} CET`],
      '2027-03-28': ['03:00 CEST'],
      '2027-03-29': [`02:${minute} CEST`],
      '2027-03-30': [`02:${minute} CEST`],
    });
    assert.equal(runs[1]!.toISOString(), '2027-03-28T01:00:00.000Z');
  }
});

test('fall back (2027-10-31): a 02:00 or 02:30 job runs once, at the first 02:xx (CEST), not again in the repeated hour', () => {
  for (const expression of ['0 2 * * *', '30 2 * * *']) {
    const runs = runsBetween(expression, '2027-10-29T12:00:00Z', '2027-11-02T12:00:00Z');
    const minute = expression.startsWith('30') ? '30' : '00';
    assert.deepEqual(runsPerDay(runs), {
      '2027-10-30': [`02:${minute} CEST`],
      '2027-10-31': [`02:${minute} CEST`],
      '2027-11-01': [`02:${minute} CET`],
      '2027-11-02': [`02:${minute} CET`],
    });
  }
  // Started during the repeated hour (after the first 02:30 went by): the next run is tomorrow's.
  assert.equal(nextRunAfter('30 2 * * *', berlin, new Date('2027-10-31T01:10:00Z')).toISOString(), '2027-11-01T01:30:00.000Z');
});

test('sub-hourly jobs: the gap collapses into one run at 03:00, the repeated hour runs once', () => {
  const spring = runsPerDay(runsBetween('*/30 1-3 * * *', '2027-03-27T22:00:00Z', '2027-03-28T03:00:00Z'));
  assert.deepEqual(spring['2027-03-28'], ['01:00 CET', '01:30 CET', '03:00 CEST', '03:30 CEST']);
  const autumn = runsPerDay(runsBetween('*/30 1-3 * * *', '2027-10-30T22:00:00Z', '2027-10-31T03:00:00Z'));
  assert.deepEqual(autumn['2027-10-31'], ['01:00 CEST', '01:30 CEST', '02:00 CEST', '02:30 CEST', '03:00 CET', '03:30 CET']);
});

test('6-field expressions, calendar fields, and a zone without DST', () => {
  assert.equal(nextRunAfter('15 0 2 * * *', 'UTC', new Date('2027-01-01T02:00:14Z')).toISOString(), '2027-01-01T02:00:15.000Z');
  assert.equal(nextRunAfter('0 5 1 * *', 'UTC', new Date('2027-01-01T05:00:00Z')).toISOString(), '2027-02-01T05:00:00.000Z');
  // Monday 29 February: next in 2044.
  assert.equal(nextRunAfter('0 2 29 2 1', 'UTC', new Date('2027-01-01T00:00:00Z')).toISOString(), '2044-02-29T02:00:00.000Z');
});

/** Advances the mocked clock minute by minute (timers armed while ticking fire on later steps). */
function advance(context: { mock: { timers: { tick(ms: number): void } } }, ms: number): void {
  for (let step = 0; step < ms; step += 60_000) context.mock.timers.tick(60_000);
}

test('Schedule with a given clock: one run per day across both changes, and a late timer still runs the job', (context) => {
  context.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2027-03-27T12:00:00Z') });
  const runs: Date[] = [];
  const schedule = new Schedule({ expression: '0 2 * * *', timeZone: berlin, run: (due) => runs.push(due) });
  schedule.start();
  assert.equal(schedule.nextRun()?.toISOString(), '2027-03-28T01:00:00.000Z');
  advance(context, 3 * 86_400_000);
  assert.deepEqual(Object.keys(runsPerDay(runs)), ['2027-03-28', '2027-03-29', '2027-03-30']);
  assert.equal(runs.length, 3);
  schedule.stop();

  context.mock.timers.setTime(Date.parse('2027-10-30T12:00:00Z'));
  runs.length = 0;
  schedule.start();
  advance(context, 2 * 86_400_000);
  assert.deepEqual(runsPerDay(runs), { '2027-10-31': ['02:00 CEST'], '2027-11-01': ['02:00 CET'] });
  schedule.stop();

  // The clock jumps past the run (a suspended host): it runs once, late, then at the usual time.
  context.mock.timers.setTime(Date.parse('2027-11-05T12:00:00Z'));
  runs.length = 0;
  schedule.start();
  context.mock.timers.setTime(Date.parse('2027-11-06T05:00:00Z'));
  context.mock.timers.tick(60_000);
  assert.deepEqual(runs.map((run) => run.toISOString()), ['2027-11-06T01:00:00.000Z']);
  assert.equal(schedule.nextRun()?.toISOString(), '2027-11-07T01:00:00.000Z');
  schedule.stop();
});

