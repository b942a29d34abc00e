import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { retry } from '../src/retry.ts';

class Transient extends Error {}
class Permanent extends Error {}

/** An operation that fails with `errors` in turn, then answers `value`; it records each attempt's number and start. */
function flaky<T>(errors: Error[], value: T, attemptMs = 0) {
  const calls: { attempt: number; at: number }[] = [];
  const operation = async (attempt: number): Promise<T> => {
    calls.push({ attempt, at: Date.now() });
    if (attemptMs > 0) await sleep(attemptMs);
    const error = errors[calls.length - 1];
    if (error !== undefined) throw error;
    return value;
  };
  return { operation, calls };
}

test('the first success is returned; attempts are numbered from 1 and a failure waits delayMs(failed attempt) before the next one', async () => {
  const { operation, calls } = flaky([new Transient('1'), new Transient('2')], 'ok');
  const delays: number[] = [];
  const result = await retry(operation, {
    attempts: 5,
    delayMs: (failed) => {
      delays.push(failed);
      return 20 * failed;
    },
  });
  assert.equal(result, 'ok');
  assert.deepEqual(calls.map((call) => call.attempt), [1, 2, 3]);
  assert.deepEqual(delays, [1, 2]);
  assert.ok(calls[1]!.at - calls[0]!.at >= 19, 'first wait ~20 ms');
  assert.ok(calls[2]!.at - calls[1]!.at >= 39, 'second wait ~40 ms');
});

test('the last error is thrown as is when the attempts run out; one attempt means no retry', async () => {
  const last = new Transient('third');
  const three = flaky([new Transient('1'), new Transient('2'), last, new Transient('4')], 'never');
  await assert.rejects(retry(three.operation, { attempts: 3, delayMs: 1 }), (error) => error === last);
  assert.equal(three.calls.length, 3);

  const once = flaky([new Transient('only')], 'never');
  await assert.rejects(retry(once.operation, { attempts: 1, delayMs: 1 }), /only/);
  assert.equal(once.calls.length, 1);
});

test('an error that is not retryable is thrown at once, without exhausted()', async () => {
  const { operation, calls } = flaky([new Transient('1'), new Permanent('wrong request')], 'never');
  let exhaustedCalled = false;
  await assert.rejects(
    retry(operation, {
      attempts: 10,
      delayMs: 1,
      retryable: (error) => !(error instanceof Permanent),
      exhausted: () => {
        exhaustedCalled = true;
        return new Error('exhausted');
      },
    }),
    Permanent,
  );
  assert.equal(calls.length, 2);
  assert.equal(exhaustedCalled, false);
});

test('retryForMs bounds the time spent failing (from the first failure), and exhausted() says what to throw', async () => {
  const errors = Array.from({ length: 100 }, (_, index) => new Transient(`down ${index + 1}`));
  const { operation, calls } = flaky(errors, 'never', 5);
  const started = Date.now();
  await assert.rejects(
    retry(operation, {
      retryForMs: 60,
      delayMs: 10,
      exhausted: (error, failure) => new Error(`gave up after ${failure.attempts} attempts, failing for ${failure.failingForMs} ms: ${(error as Error).message}`),
    }),
    (error: Error) => {
      const match = /^gave up after (\d+) attempts, failing for (\d+) ms: down (\d+)$/.exec(error.message);
      assert.ok(match !== null, error.message);
      assert.equal(Number(match[1]), calls.length);
      assert.equal(Number(match[3]), calls.length);
      assert.ok(Number(match[2]) > 60);
      return true;
    },
  );
  assert.ok(calls.length >= 3 && calls.length < 20, `${calls.length} attempts`);
  assert.ok(Date.now() - started < 1000);
});

test('each retry() call has its own attempt count and failure clock', async () => {
  const first = flaky([new Transient('1')], 'a');
  const second = flaky([new Transient('1')], 'b');
  assert.equal(await retry(first.operation, { attempts: 2, retryForMs: 1000, delayMs: 1 }), 'a');
  assert.equal(await retry(second.operation, { attempts: 2, retryForMs: 1000, delayMs: 1 }), 'b');
});

test('the signal cuts the wait between attempts (AbortError), but does not stop the first attempt', async () => {
  const controller = new AbortController();
  controller.abort(new Error('stopping'));
  const ran = flaky([], 'still sent');
  assert.equal(await retry(ran.operation, { attempts: 3, delayMs: 1, signal: controller.signal }), 'still sent');

  const waiting = new AbortController();
  const { operation, calls } = flaky([new Transient('1'), new Transient('2')], 'never');
  const started = Date.now();
  setTimeout(() => waiting.abort(new Error('stopping')), 20);
  await assert.rejects(retry(operation, { attempts: 3, delayMs: 10_000, signal: waiting.signal }), { name: 'AbortError' });
  assert.equal(calls.length, 1);
  assert.ok(Date.now() - started < 5000);
});
