import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { KopiaConnection } from '../config.ts';
import { ExitCode, UserError, errorMessage } from '../errors.ts';
import { retry } from '../retry.ts';
import { apiErrorSchema, taskSchema, type Task } from './schemas.ts';

/**
 * How this program talks to a Kopia server, below the API's operations (client.ts): Basic auth on
 * every request; the CSRF session (cookie + token scraped from the UI page), fetched on first use
 * and again after a server restart; with a certificate fingerprint the TLS certificate is pinned
 * (nothing else is accepted, self-signed or CA-signed); per-request timeouts; retries of requests
 * that never reached the server; errors mapped to one KopiaError each; and the polling of
 * long-running server tasks, which tolerates a server that is briefly away.
 */

/** A Kopia failure: exit code 2, the "Kopia step failed" code of a backup run. */
export class KopiaError extends UserError {
  readonly code: string | undefined;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.kopiaFailed, cause: options.cause });
    this.name = 'KopiaError';
    this.code = options.code;
  }
}

export interface KopiaTransportOptions {
  /** Per HTTP request (connect + answer). */
  requestTimeoutMs?: number;
  /** Attempts for idempotent requests that failed to connect (the first one included). */
  attempts?: number;
  /** How often long operations poll the server. */
  pollIntervalMs?: number;
  /** A long operation whose server stops answering for this long fails instead of waiting forever. */
  unreachableTimeoutMs?: number;
  /**
   * The program is stopping (SIGTERM): every request in flight is cut and every later one fails at
   * once with the signal's reason, so a server that never answers cannot hold the process.
   */
  signal?: AbortSignal;
}

/** Failures worth another try: the request never reached a handler (nothing can have happened twice). */
const connectionErrorCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);

const csrfFailure = 'Invalid or missing CSRF token';

/** One request's details: `retry` defaults to true except for POST (a repeated POST could act twice). */
export interface KopiaCallOptions {
  query?: Record<string, string>;
  body?: unknown;
  retry?: boolean;
  /**
   * A request made because the work is being stopped (cancelling a task): it is still sent after
   * the stop signal, within a few seconds at most.
   */
  cleanup?: boolean;
}

export class KopiaTransport {
  readonly connection: KopiaConnection;
  /** How often long operations poll the server. */
  readonly pollIntervalMs: number;
  /** A long operation whose server stops answering for this long fails. */
  readonly unreachableTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #attempts: number;
  readonly #dispatcher: Dispatcher;
  readonly #authorization: string;
  readonly #stop: AbortSignal | undefined;
  #csrf: { cookie: string; token: string } | undefined;

  constructor(connection: KopiaConnection, options: KopiaTransportOptions = {}) {
    this.connection = connection;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#attempts = options.attempts ?? 3;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.unreachableTimeoutMs = options.unreachableTimeoutMs ?? 60_000;
    this.#stop = options.signal;
    this.#authorization = `Basic ${Buffer.from(`${connection.username}:${connection.password}`).toString('base64')}`;
    this.#dispatcher = new Agent({
      connect: pinningConnector(connection.fingerprint, this.#requestTimeoutMs),
      headersTimeout: this.#requestTimeoutMs,
      bodyTimeout: this.#requestTimeoutMs,
    });
  }

  /** The program is stopping (the `signal` option was aborted). */
  get stopping(): boolean {
    return this.#stop?.aborted ?? false;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  /** Waits for task `id` to end; `what` names it in errors ("the snapshot of /library"). */
  async waitForTask(id: string, signal: AbortSignal | undefined, onProgress: (task: Task) => void, what = `task ${id}`): Promise<Task> {
    return this.waitFor(async () => {
      let task: Task;
      try {
        task = await this.call('GET', `/api/v1/tasks/${encodeURIComponent(id)}`, taskSchema);
      } catch (error) {
        // A restarted server has forgotten its tasks: the work was lost with it.
        if (error instanceof KopiaError && (error.code === 'NOT_FOUND' || error.code === 'HTTP_404')) {
          throw new KopiaError(`the Kopia server (${this.connection.url}) restarted or lost the task during ${what}: it did not finish`, { cause: error });
        }
        throw error;
      }
      if (task.status === 'RUNNING' || task.status === 'CANCELING') {
        onProgress(task);
        return undefined;
      }
      return task;
    }, signal, `${what} did not finish`);
  }

  /**
   * Polls `probe` until it returns something. Connection failures are tolerated for a while (a
   * restarting server), but a server gone for longer than `unreachableTimeoutMs` ends the wait.
   * `giveUpAfterMs`: a server that answers but never has it ends the wait too ("<what> within N s").
   */
  async waitFor<T>(probe: () => Promise<T | undefined>, signal: AbortSignal | undefined, what: string, options: { giveUpAfterMs?: number } = {}): Promise<T> {
    const giveUpAt = options.giveUpAfterMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.giveUpAfterMs;
    for (;;) {
      const value = await retry(
        async () => {
          signal?.throwIfAborted();
          return probe();
        },
        {
          retryable: isUnreachable,
          retryForMs: this.unreachableTimeoutMs,
          delayMs: this.pollIntervalMs,
          ...(signal === undefined ? {} : { signal }),
          exhausted: (error, { failingForMs }) =>
            new KopiaError(`the Kopia server stopped answering (${this.connection.url}) for ${Math.round(failingForMs / 1000)} s: ${what}`, {
              code: 'UNREACHABLE',
              cause: error,
            }),
        },
      );
      if (value !== undefined) return value;
      if (Date.now() > giveUpAt) throw new KopiaError(`${what} within ${options.giveUpAfterMs! / 1000} s`);
      await sleep(this.pollIntervalMs, undefined, signal === undefined ? undefined : { signal });
    }
  }

  /**
   * One JSON API request, its answer checked against `schema`. A request that never reached the
   * server is tried again (up to `attempts`, 250 ms, 500 ms, ... apart) unless it must not repeat.
   */
  async call<Schema extends z.ZodType>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    schema: Schema,
    options: KopiaCallOptions = {},
  ): Promise<z.output<Schema>> {
    const repeatable = options.retry ?? method !== 'POST';
    return retry(() => this.#callOnce(method, path, schema, options, true), {
      attempts: repeatable ? this.#attempts : 1,
      retryable: isUnreachable,
      delayMs: (failedAttempt) => 250 * 2 ** (failedAttempt - 1),
      ...(this.#stop === undefined ? {} : { signal: this.#stop }),
    });
  }

  /**
   * GET `path` as bytes (an object's content), without the CSRF session (a GET needs none) and
   * without an overall deadline: a big file takes its time, and the dispatcher's header and body
   * timeouts end a stalled transfer. Only HTTP errors are mapped to a KopiaError here.
   */
  async stream(path: string, signal: AbortSignal | undefined): Promise<Readable> {
    const response = await request(new URL(path, `${this.connection.url}/`), {
      method: 'GET',
      headers: { authorization: this.#authorization },
      dispatcher: this.#dispatcher,
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.statusCode !== 200) throw this.#httpError(response.statusCode, await response.body.text(), `GET ${path}`);
    return response.body;
  }

  async #callOnce<Schema extends z.ZodType>(
    method: string,
    path: string,
    schema: Schema,
    options: KopiaCallOptions,
    mayRefreshCsrf: boolean,
  ): Promise<z.output<Schema>> {
    const csrf = await this.#csrfSession();
    const url = new URL(path, `${this.connection.url}/`);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const response = await this.#send(url, {
      method: method as Dispatcher.HttpMethod,
      headers: {
        authorization: this.#authorization,
        cookie: `Kopia-Session-Cookie=${csrf.cookie}`,
        'x-kopia-csrf-token': csrf.token,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    }, options.cleanup ?? false);
    const text = await response.body.text();
    if (response.statusCode === 401 && text.includes(csrfFailure) && mayRefreshCsrf) {
      // The server restarted and has a new signing key: the request was refused before it ran, so repeat it once.
      this.#csrf = undefined;
      return this.#callOnce(method, path, schema, options, false);
    }
    if (response.statusCode >= 400) throw this.#httpError(response.statusCode, text, `${method} ${path}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KopiaError(`the Kopia server sent an answer that is not JSON for ${method} ${path} (HTTP ${response.statusCode})`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new KopiaError(`the Kopia server's answer to ${method} ${path} has an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  async #csrfSession(): Promise<{ cookie: string; token: string }> {
    if (this.#csrf !== undefined) return this.#csrf;
    const cookie = randomUUID();
    const response = await this.#send(new URL('/', `${this.connection.url}/`), {
      method: 'GET',
      headers: { authorization: this.#authorization, cookie: `Kopia-Session-Cookie=${cookie}` },
    });
    const text = await response.body.text();
    if (response.statusCode >= 400) throw this.#httpError(response.statusCode, text, 'GET /');
    const token = /<meta name="kopia-csrf-token" content="([^"]+)"/.exec(text)?.[1];
    if (token === undefined) throw new KopiaError(`${this.connection.url} does not look like a Kopia server with its UI enabled (no CSRF token on its page)`);
    this.#csrf = { cookie, token };
    return this.#csrf;
  }

  /**
   * `cleanup`: a request made because the work is being stopped (cancelling a task): it is still
   * sent after the stop signal, within a few seconds at most.
   */
  async #send(
    url: URL,
    options: { method: Dispatcher.HttpMethod; headers: Record<string, string>; body?: string },
    cleanup = false,
  ): Promise<Dispatcher.ResponseData> {
    const stop = cleanup ? undefined : this.#stop;
    stop?.throwIfAborted();
    const timeout = AbortSignal.timeout(cleanup ? Math.min(3000, this.#requestTimeoutMs) : this.#requestTimeoutMs);
    try {
      return await request(url, { ...options, dispatcher: this.#dispatcher, signal: stop === undefined ? timeout : AbortSignal.any([timeout, stop]) });
    } catch (error) {
      if (stop?.aborted) throw stop.reason;
      if (error instanceof FingerprintMismatchError) throw new KopiaError(error.message, { code: 'FINGERPRINT', cause: error });
      const cause = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
      if (cause.cause instanceof FingerprintMismatchError) throw new KopiaError(cause.cause.message, { code: 'FINGERPRINT', cause: error });
      const code = cause.code ?? cause.cause?.code;
      const timedOut = cause.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      if (timedOut || (code !== undefined && connectionErrorCodes.has(code))) {
        throw new KopiaError(`the Kopia server at ${this.connection.url} is not reachable (${timedOut ? 'timed out' : code})`, {
          code: 'UNREACHABLE',
          cause: error,
        });
      }
      if (/certificate|self.signed|SSL|TLS/i.test(errorMessage(error))) {
        throw new KopiaError(
          `the Kopia server at ${this.connection.url} presented a certificate that is not trusted: ${errorMessage(error)} (set KOPIA_SERVER_CERT_FINGERPRINT to pin it)`,
          { code: 'TLS', cause: error },
        );
      }
      throw new KopiaError(`request to the Kopia server at ${this.connection.url} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  #httpError(status: number, text: string, what: string): KopiaError {
    if (status === 401) {
      return new KopiaError(`the Kopia server rejected the username or password (user '${this.connection.username}')`, { code: 'UNAUTHORIZED' });
    }
    let body: z.infer<typeof apiErrorSchema> = {};
    try {
      body = apiErrorSchema.parse(JSON.parse(text));
    } catch {
      // Not every error body is JSON (403 from the UI handler is plain text).
    }
    if (body.code === 'NOT_CONNECTED') {
      return new KopiaError(`the Kopia server at ${this.connection.url} has no repository connected: connect it to your repository first`, {
        code: 'NOT_CONNECTED',
      });
    }
    if (status === 403) return new KopiaError(`the Kopia server refused user '${this.connection.username}' (use the server's UI user)`, { code: 'FORBIDDEN' });
    const detail = body.error ?? text.trim().slice(0, 200);
    return new KopiaError(`the Kopia server answered ${what} with HTTP ${status}${body.code === undefined ? '' : ` ${body.code}`}: ${detail}`, {
      code: body.code ?? `HTTP_${status}`,
    });
  }
}

class FingerprintMismatchError extends Error {}

/** A TLS connector that, when a fingerprint is given, accepts exactly that certificate and nothing else. */
function pinningConnector(fingerprint: string | undefined, timeout: number): buildConnector.connector {
  if (fingerprint === undefined) return buildConnector({ timeout });
  const base = buildConnector({ timeout, rejectUnauthorized: false });
  return (options, callback) => {
    base(options, (error, socket) => {
      if (error !== null) {
        callback(error, null);
        return;
      }
      if (socket instanceof TLSSocket) {
        const certificate = socket.getPeerCertificate();
        const actual = certificate.raw === undefined ? '' : createHash('sha256').update(certificate.raw).digest('hex');
        if (actual !== fingerprint) {
          socket.destroy();
          callback(
            new FingerprintMismatchError(
              `the Kopia server's certificate does not match KOPIA_SERVER_CERT_FINGERPRINT (expected ${fingerprint.slice(0, 16)}…, got ${actual.slice(0, 16)}…): refusing to connect`,
            ),
            null,
          );
          return;
        }
      }
      callback(null, socket);
    });
  };
}

/** A request that never reached a handler (see `connectionErrorCodes`): safe to repeat. */
function isUnreachable(error: unknown): boolean {
  return error instanceof KopiaError && error.code === 'UNREACHABLE';
}
