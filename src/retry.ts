import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retrying an operation that may fail for a while (a server restarting, a network hiccup): the
 * notifier delivery and the Kopia client's requests and polling share this one loop, each with
 * its own limits.
 */
export interface RetryOptions {
  /** Most attempts, the first one included (default: no limit, so set `retryForMs` instead). */
  attempts?: number;
  /**
   * Retries stop once the failures have gone on for longer than this, counted from the end of the
   * first failed attempt (default: no limit).
   */
  retryForMs?: number;
  /** Whether `error` is worth another attempt (default: every error). */
  retryable?: (error: unknown) => boolean;
  /** The wait after failed attempt `attempt` (1 for the first) before the next one. */
  delayMs: number | ((attempt: number) => number);
  /** Cuts the wait between attempts (rejecting with an AbortError); an attempt already running is the operation's to stop. */
  signal?: AbortSignal;
  /**
   * What to throw when a retryable error ran out of attempts or time (default: that error), e.g. one
   * that says for how long the server did not answer.
   */
  exhausted?: (error: unknown, failure: { attempts: number; failingForMs: number }) => unknown;
}

/**
 * Runs `operation` (given the attempt's number, from 1) until it succeeds, an error is not
 * retryable (thrown as is), or the attempts or time run out.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? Number.POSITIVE_INFINITY;
  const retryForMs = options.retryForMs ?? Number.POSITIVE_INFINITY;
  let failingSince: number | undefined;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.retryable !== undefined && !options.retryable(error)) throw error;
      failingSince ??= Date.now();
      const failingForMs = Date.now() - failingSince;
      if (attempt >= attempts || failingForMs > retryForMs) throw options.exhausted === undefined ? error : options.exhausted(error, { attempts: attempt, failingForMs });
      const delay = typeof options.delayMs === 'number' ? options.delayMs : options.delayMs(attempt);
      await sleep(delay, undefined, options.signal === undefined ? undefined : { signal: options.signal });
    }
  }
}
