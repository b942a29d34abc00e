import type pg from 'pg';
import { closeClient, openClient } from '../postgres/connection.ts';

/**
 * Immich's maintenance mode as its database records it: the `system_metadata` row
 * `maintenance-mode` = `{"isMaintenanceMode": true, …}`, written before Immich restarts into its
 * maintenance worker. Asked only when Immich's API does not answer (it restarts on entering and
 * leaving maintenance mode), so that a run never dumps in that gap. Undefined: it could not be read
 * (no such table: not an Immich that knows maintenance mode).
 */
export async function maintenanceModeInDatabase(
  connection: pg.ClientConfig,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<boolean | undefined> {
  // A look, not the dump: bounded by IMMICH_API_TIMEOUT, so a database that hangs is left to the
  // dump's own limits (DB_CONNECT_TIMEOUT…) instead of being waited for twice.
  const timeoutMs = Math.max(1, Math.trunc(options.timeoutMs ?? 10_000));
  const connectTimeout = Math.min(connection.connectionTimeoutMillis ?? timeoutMs, timeoutMs);
  const client = await openClient(
    { ...connection, connectionTimeoutMillis: connectTimeout },
    { applicationName: 'immich-backup maintenance check', ...(options.signal === undefined ? {} : { signal: options.signal }) },
  );
  try {
    await client.query(`SET statement_timeout = ${timeoutMs}`);
    const { rows: present } = await client.query<{ present: boolean }>(
      `SELECT pg_catalog.to_regclass('public.system_metadata') IS NOT NULL AS present`,
    );
    if (present[0]?.present !== true) return undefined;
    const { rows } = await client.query<{ on: boolean | null }>(
      `SELECT (value ->> 'isMaintenanceMode')::boolean AS on FROM public.system_metadata WHERE key = 'maintenance-mode'`,
    );
    return rows[0]?.on === true;
  } finally {
    await closeClient(client);
  }
}
