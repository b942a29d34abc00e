import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { z } from 'zod';
import { errorMessage } from '../errors.ts';
import { redactUrl, type Logger } from '../log.ts';

/**
 * The two unauthenticated endpoints of Immich's API the sidecar reads (immich-facts §7):
 * `GET /api/server/version` → `{major, minor, patch}` (answers in maintenance mode too) and
 * `GET /api/server/config` → `{…, maintenanceMode}`. Every request has a hard time limit: an
 * Immich that hangs must never hold up a backup.
 */
export interface ImmichApiOptions {
  /** e.g. http://immich-server:2283 (no trailing slash needed). */
  url: string;
  /** Per request, connecting and reading the answer together. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const versionSchema = z.object({
  major: z.number().int().nonnegative(),
  minor: z.number().int().nonnegative(),
  patch: z.number().int().nonnegative(),
});
// Versions before maintenance mode existed (< 2.3) have no such field: they are never in it.
const configSchema = z.object({ maintenanceMode: z.boolean().optional() });

/** Answers larger than this are not Immich's (its config answer is a few hundred bytes). */
const maxAnswerBytes = 1_000_000;

async function getJson(options: ImmichApiOptions, path: string): Promise<unknown> {
  const url = new URL(path, options.url.endsWith('/') ? options.url : `${options.url}/`);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  try {
    const response = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxAnswerBytes) {
        response.body.destroy();
        throw new Error(`${url.pathname} answered more than ${maxAnswerBytes} bytes: is IMMICH_URL Immich's server?`);
      }
      chunks.push(chunk);
    }
    if (response.statusCode !== 200) throw new Error(`${url.pathname} answered HTTP ${response.statusCode}`);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new Error(`${url.pathname} did not answer JSON: is IMMICH_URL Immich's server?`);
    }
  } catch (error) {
    if (timeout.aborted) throw new Error(`${url.pathname}: no answer within ${options.timeoutMs} ms`);
    if (options.signal?.aborted) throw abortReason(options.signal);
    const code = (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
    throw new Error(code === undefined || errorMessage(error).includes(code) ? errorMessage(error) : `${errorMessage(error)} (${code})`);
  }
}

/** IMMICH_URL as warnings show it: credentials and tokens redacted, no trailing slash. */
function shownUrl(url: string): string {
  return redactUrl(url).replace(/\/$/, '');
}

/** Why the run was stopped (SIGTERM, a deadline), rather than the error the stop caused. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('interrupted');
}

/** Immich's version, `major.minor.patch`: digits and dots only, whatever the server answers. */
export async function fetchImmichVersion(options: ImmichApiOptions): Promise<string> {
  const parsed = versionSchema.safeParse(await getJson(options, 'api/server/version'));
  if (!parsed.success) throw new Error('/api/server/version did not answer {major, minor, patch}: is IMMICH_URL Immich\'s server?');
  return `${parsed.data.major}.${parsed.data.minor}.${parsed.data.patch}`;
}

export async function fetchMaintenanceMode(options: ImmichApiOptions): Promise<boolean> {
  const parsed = configSchema.safeParse(await getJson(options, 'api/server/config'));
  if (!parsed.success) throw new Error('/api/server/config did not answer an object with maintenanceMode');
  return parsed.data.maintenanceMode === true;
}

export interface ImmichCheck {
  /** `major.minor.patch`, or null when Immich could not be asked. */
  version: string | null;
  /** Still in maintenance mode after waiting IMMICH_MAINTENANCE_WAIT: the run must not dump. */
  maintenance: boolean;
  /** How long the run waited for maintenance mode to end (0 when it was off). */
  waitedMs: number;
  warnings: string[];
}

export interface ImmichCheckOptions extends ImmichApiOptions {
  /** How long to wait for Immich's maintenance mode (e.g. its web restore) to end before skipping. */
  maintenanceWaitMs: number;
  /** Between two looks at maintenance mode while waiting. */
  pollMs?: number;
  /**
   * Asked when the API does not answer: Immich's database's own record of maintenance mode
   * (undefined: unknown). Immich restarts when it enters maintenance mode, so its API is briefly away.
   */
  maintenanceFromDatabase?: () => Promise<boolean | undefined>;
  log?: Logger;
}

/**
 * What a run asks Immich before dumping. Immich being unreachable is a warning, never a failure:
 * the database is what matters. Maintenance mode (Immich's own restore terminates other sessions
 * and replaces the schema) is waited out for a bounded time; if it lasts, the run is skipped.
 */
export async function checkImmich(options: ImmichCheckOptions): Promise<ImmichCheck> {
  const warnings: string[] = [];
  let maintenance = false;
  let waitedMs = 0;
  let configError: string | undefined;
  let fromDatabase = false;
  // The API's answer; when it has none, the database's record (if readable); otherwise the API's error.
  const probe = async (): Promise<boolean> => {
    try {
      return await fetchMaintenanceMode(options);
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      if (options.maintenanceFromDatabase === undefined) throw error;
      const recorded = await options.maintenanceFromDatabase().catch(() => undefined);
      if (options.signal?.aborted) throw abortReason(options.signal);
      if (recorded === undefined) throw error;
      configError ??= errorMessage(error);
      fromDatabase = true;
      return recorded;
    }
  };
  try {
    maintenance = await probe();
    if (maintenance) {
      const started = Date.now();
      const pollMs = Math.max(10, options.pollMs ?? Math.min(30_000, Math.max(1000, options.maintenanceWaitMs / 20)));
      options.log?.warn({ waitMs: options.maintenanceWaitMs }, 'Immich is in maintenance mode: waiting for it to end before dumping');
      while (maintenance && Date.now() - started < options.maintenanceWaitMs) {
        await sleep(Math.min(pollMs, Math.max(0, options.maintenanceWaitMs - (Date.now() - started))), undefined, { signal: options.signal });
        maintenance = await probe().catch((error: unknown) => {
          if (options.signal?.aborted) throw abortReason(options.signal);
          // Immich restarts when maintenance ends: a moment without an answer is not the end of it.
          options.log?.debug({ error: errorMessage(error) }, 'Immich did not answer while in maintenance mode');
          return true;
        });
      }
      waitedMs = Date.now() - started;
    }
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    configError = errorMessage(error);
  }
  let version: string | null = null;
  let versionError: string | undefined;
  try {
    version = await fetchImmichVersion(options);
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    versionError = errorMessage(error);
  }
  if (configError !== undefined && versionError !== undefined && fromDatabase) {
    warnings.push(
      `Immich at ${shownUrl(options.url)} did not answer (${versionError}): its version is unknown (maintenance mode was read from its database); the backup goes on`,
    );
  } else if (configError !== undefined && versionError !== undefined) {
    warnings.push(
      `Immich at ${shownUrl(options.url)} did not answer (${versionError}): its version is unknown and maintenance mode could not be checked; the backup goes on`,
    );
  } else if (versionError !== undefined) {
    warnings.push(`Immich's version is unknown: ${shownUrl(options.url)} did not answer it (${versionError}); the backup goes on`);
  } else if (configError !== undefined && !fromDatabase) {
    warnings.push(`could not ask Immich at ${shownUrl(options.url)} whether it is in maintenance mode (${configError}): dumping anyway`);
  }
  if (maintenance) {
    warnings.push(
      `Immich is still in maintenance mode${fromDatabase ? ' (as its database records it; its API did not answer)' : ''} after ${Math.round(waitedMs / 1000)} s (IMMICH_MAINTENANCE_WAIT): ` +
        'its own restore may be replacing the database, so this run was skipped',
    );
  }
  return { version, maintenance, waitedMs, warnings };
}
