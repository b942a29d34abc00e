import type pg from 'pg';
import { UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { formatSeconds, openClient, type ConnectionSettings } from './connection.ts';

export const defaultDumpTimeoutMs = 6 * 3_600_000;
export const defaultStallTimeoutMs = 10 * 60_000;

export interface DumpGuardOptions {
  /** The caller's signal (SIGTERM, the service stopping). */
  signal?: AbortSignal;
  /** DUMP_TIMEOUT: the whole dump must be done within this. */
  timeoutMs?: number;
  /** DUMP_STALL_TIMEOUT: a wait for the server longer than this fails the dump. */
  stallTimeoutMs?: number;
  /** How often a long wait is logged ("still waiting for ..."); default 30 s, or less with a short stall timeout. */
  progressEveryMs?: number;
  log?: Logger;
}

interface Wait {
  what: string;
  since: number;
  reported: number;
}

/**
 * Everything that keeps a dump from hanging, in one place for the leader and its workers: one
 * signal that fires on the caller's abort, the overall deadline or a stall, and cuts every
 * connection opened through the guard, so whatever query or COPY was waiting fails at once.
 * A stall is measured only while the dump waits for the server (a query's answer, the next COPY
 * chunk), never while the server waits for us (a slow disk holding back the stream).
 */
export class DumpGuard {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #waits = new Set<Wait>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #stallTimeoutMs: number;
  readonly #progressEveryMs: number;
  readonly #log: Logger | undefined;
  readonly #outer: AbortSignal | undefined;
  readonly #onOuterAbort = () => this.#controller.abort(this.#outer?.reason);

  constructor(options: DumpGuardOptions = {}) {
    this.signal = this.#controller.signal;
    this.#log = options.log;
    this.#outer = options.signal;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? defaultStallTimeoutMs;
    this.#progressEveryMs = options.progressEveryMs ?? Math.max(1000, Math.min(30_000, Math.floor(this.#stallTimeoutMs / 3)));
    if (this.#outer?.aborted) this.#onOuterAbort();
    else this.#outer?.addEventListener('abort', this.#onOuterAbort, { once: true });
    const timeoutMs = options.timeoutMs ?? defaultDumpTimeoutMs;
    this.#timers.push(
      setTimeout(() => this.fail(new UserError(`the dump did not finish within ${formatDurationLong(timeoutMs)} (DUMP_TIMEOUT): stopped`)), timeoutMs),
      setInterval(() => this.#check(), Math.min(1000, this.#progressEveryMs)),
    );
    for (const timer of this.#timers) timer.unref();
  }

  /** Stops the dump with `error` (the first reason wins): every connection of the guard is cut. */
  fail(error: unknown): void {
    this.#controller.abort(error);
  }

  /** A connection that the guard cuts when it fires (see openClient for the connect timeout). */
  open(connection: ConnectionSettings, applicationName: string): Promise<pg.Client> {
    return openClient(connection, { applicationName, signal: this.signal, ...(this.#log === undefined ? {} : { log: this.#log }) });
  }

  /** Marks a wait for the server (`what`: "table public.asset", "the catalogs"); call the result when the answer is in. */
  startWait(what: string): () => void {
    const now = Date.now();
    const wait: Wait = { what, since: now, reported: now };
    this.#waits.add(wait);
    return () => this.#waits.delete(wait);
  }

  /** Awaits `promise` as a wait for the server. */
  async waitFor<T>(what: string, promise: Promise<T>): Promise<T> {
    const done = this.startWait(what);
    try {
      return await promise;
    } finally {
      done();
    }
  }

  /** The reason to report when something failed because the guard fired (else `error` itself). */
  reason(error: unknown): unknown {
    return this.signal.aborted ? this.signal.reason : error;
  }

  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#outer?.removeEventListener('abort', this.#onOuterAbort);
    this.#waits.clear();
  }

  #check(): void {
    const now = Date.now();
    for (const wait of this.#waits) {
      const waited = now - wait.since;
      if (waited >= this.#stallTimeoutMs) {
        this.fail(
          new UserError(
            `the database sent nothing for ${formatDurationLong(waited)} while the dump was waiting for ${wait.what} (DUMP_STALL_TIMEOUT): stopped`,
          ),
        );
        return;
      }
      if (now - wait.reported >= this.#progressEveryMs) {
        wait.reported = now;
        this.#log?.warn({ waitingFor: wait.what, seconds: Math.round(waited / 1000) }, `still waiting for ${wait.what}: ${Math.round(waited / 1000)} s`);
      }
    }
  }
}

function formatDurationLong(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return formatSeconds(Math.round(ms / 100) * 100);
}
