import { request } from 'undici';
import { errorMessage } from '../errors.ts';
import { redactUrl, type Logger } from '../log.ts';
import { retry } from '../retry.ts';
import type { Notification, Notifier, OutgoingRequest } from './notifier.ts';

export interface DeliveryOptions {
  /** Per attempt, for connecting, sending and reading the answer together. */
  timeoutMs: number;
  /** Extra attempts after the first one fails. */
  retries: number;
  /** Wait before retry n is `backoffMs * 2^(n-1)`. */
  backoffMs?: number;
  log: Logger;
}

export interface DeliveryResult {
  notifier: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

class PermanentFailure extends Error {}

/**
 * The user info of a target URL (`https://user:pass@ntfy.example.com/topic`, a webhook receiver
 * behind basic auth) sent as basic auth, as curl and browsers do: undici's request() drops it
 * silently, so such a target answered 401 to every notification. A notifier's own authorization
 * header (NTFY_TOKEN) wins.
 */
function withUserInfoAsBasicAuth(outgoing: OutgoingRequest): OutgoingRequest {
  const url = new URL(outgoing.url);
  if (url.username === '' && url.password === '') return outgoing;
  const credentials = Buffer.from(`${userInfoText(url.username)}:${userInfoText(url.password)}`).toString('base64');
  url.username = '';
  url.password = '';
  return { ...outgoing, url: url.toString(), headers: { authorization: `Basic ${credentials}`, ...outgoing.headers } };
}

/**
 * A URL's user name or password as its owner wrote it: percent-encodings decoded, and a % that
 * starts none (a password `50%off` written as is) kept, as curl does; decodeURIComponent alone
 * threw 'URI malformed' on it, and every notification to the target failed.
 */
function userInfoText(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
  } catch {
    return encoded; // bytes that are no UTF-8 (%FF): sent as written
  }
}

async function sendOnce(notifier: Notifier, notification: Notification, timeoutMs: number): Promise<void> {
  const outgoing = withUserInfoAsBasicAuth(notifier.request(notification));
  const signal = AbortSignal.timeout(timeoutMs);
  const response = await request(outgoing.url, {
    method: outgoing.method,
    headers: outgoing.headers,
    body: outgoing.body,
    signal,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  // Read (and drop) the answer so the connection is released; the body is not trusted or logged.
  await response.body.dump({ limit: 1_000_000, signal });
  if (response.statusCode >= 200 && response.statusCode < 300) return;
  const message = `HTTP ${response.statusCode}`;
  // Redirects are not followed (the request would go, with its token, wherever the answer says):
  // an http:// URL a proxy sends to https:// is a setting to fix, and said so, not an outage to retry.
  if (response.statusCode >= 300 && response.statusCode < 400) {
    const location = response.headers.location;
    const target = typeof location === 'string' && URL.canParse(location, outgoing.url) ? redactUrl(new URL(location, outgoing.url).toString(), { lastSegment: true, lastSegmentOf: notifier.url }) : undefined;
    throw new PermanentFailure(`${message}: the URL redirects${target === undefined ? '' : ` to ${target}`}; set the URL it redirects to (redirects are not followed)`);
  }
  // A 4xx other than timeout/rate-limit means the request itself is wrong: retrying won't help.
  if (response.statusCode >= 400 && response.statusCode < 500 && response.statusCode !== 408 && response.statusCode !== 429) {
    throw new PermanentFailure(message);
  }
  throw new Error(message);
}

/**
 * Sends one notification to one notifier. Never throws and never takes longer than
 * (retries + 1) * timeout + backoff: a notifier that is down or slow must not change or hold up a
 * backup's result. Failures are logged as warnings, with the URL redacted.
 */
export async function deliver(notifier: Notifier, notification: Notification, options: DeliveryOptions): Promise<DeliveryResult> {
  const backoffMs = options.backoffMs ?? 1000;
  let attempts = 0;
  try {
    await retry(
      async (attempt) => {
        attempts = attempt;
        await sendOnce(notifier, notification, options.timeoutMs);
      },
      {
        attempts: options.retries + 1,
        retryable: (error) => !(error instanceof PermanentFailure),
        delayMs: (failedAttempt) => backoffMs * 2 ** (failedAttempt - 1),
      },
    );
  } catch (error) {
    const lastError = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : errorMessage(error);
    options.log.warn(
      { notifier: notifier.name, url: redactUrl(notifier.request(notification).url, { lastSegmentOf: notifier.url }), event: notification.event, attempts, error: lastError },
      'notification could not be sent (the backup result is unchanged)',
    );
    return { notifier: notifier.name, ok: false, attempts, error: lastError };
  }
  options.log.debug({ notifier: notifier.name, event: notification.event, attempts }, 'notification sent');
  return { notifier: notifier.name, ok: true, attempts };
}
