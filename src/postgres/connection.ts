import { connect as connectSocket } from 'node:net';
import pg from 'pg';
import { UserError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';

/** What `pg.Client` needs, plus `connectionTimeoutMillis` (DB_CONNECT_TIMEOUT). Holds the password: never log it whole. */
export type ConnectionSettings = pg.ClientConfig;

/** A host that accepts TCP and never answers (a hung NAS, a firewall) must not hang a run for good. */
export const defaultConnectTimeoutMs = 30_000;

/** `host:port` of a connection, safe to print (never the password or the URL's query). */
export function describeServer(connection: ConnectionSettings): string {
  if (connection.connectionString !== undefined) {
    try {
      const url = new URL(connection.connectionString);
      return `${url.hostname || 'localhost'}:${url.port || 5432}`;
    } catch {
      return 'the database server';
    }
  }
  return `${connection.host ?? 'localhost'}:${connection.port ?? 5432}`;
}

/**
 * Cuts a client's connection at once: every query waiting on it fails, and a connect in progress
 * fails too. `end()` would wait for the server's goodbye, which a server that does not answer never sends.
 */
export function destroyConnection(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * Asks the server to cancel what `client`'s backend is running (the protocol's CancelRequest, on a
 * connection of its own), without waiting for the answer. Cutting our socket alone is not enough:
 * a backend waiting for a lock does not notice its client left, and would hold its own locks (the
 * dump's ACCESS SHARE on every table) until the lock it waits for is granted.
 */
export function cancelRunningQuery(client: pg.Client): void {
  const { processID, secretKey, host, port } = client as unknown as { processID: number | null; secretKey: number | null; host: string; port: number };
  if (processID === null || secretKey === null) return;
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(80877102, 4); // the CancelRequest code
  request.writeInt32BE(processID, 8);
  request.writeInt32BE(secretKey, 12);
  const socket = host.startsWith('/') ? connectSocket(`${host}/.s.PGSQL.${port}`) : connectSocket(port, host);
  socket.on('error', () => undefined);
  socket.setTimeout(2000, () => socket.destroy());
  socket.unref();
  socket.on('connect', () => socket.end(request));
}

/**
 * Opens a connection that cannot hang: the connect (TCP, TLS, authentication) must finish within
 * `connectionTimeoutMillis` (default 30 s), and `signal` (SIGTERM, a deadline) cuts the connection
 * whenever it fires, during the connect or any query after it; with `signalStopsConnectOnly`, only
 * during the connect (a connection that must clean up after a stop, e.g. drop a scratch database).
 */
export async function openClient(
  connection: ConnectionSettings,
  { applicationName, signal, log, signalStopsConnectOnly = false }: { applicationName: string; signal?: AbortSignal; log?: Logger; signalStopsConnectOnly?: boolean },
): Promise<pg.Client> {
  const timeoutMs = connection.connectionTimeoutMillis ?? defaultConnectTimeoutMs;
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: timeoutMs, application_name: applicationName });
  // A connection lost mid-query surfaces as that query's error; without a listener it would crash the process.
  client.on('error', (error) => log?.debug({ err: error }, 'database connection error'));
  signal?.throwIfAborted();
  const onAbort = () => {
    cancelRunningQuery(client);
    destroyConnection(client);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  client.once('end', () => signal?.removeEventListener('abort', onAbort));
  const started = Date.now();
  try {
    await client.connect();
  } catch (error) {
    signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new UserError('interrupted while connecting to the database');
    const server = describeServer(connection);
    if (Date.now() - started >= timeoutMs - 50) {
      throw new UserError(
        `cannot connect to the database at ${server}: no answer within ${formatSeconds(timeoutMs)} (DB_CONNECT_TIMEOUT)`,
        { cause: error },
      );
    }
    throw new UserError(`cannot connect to the database at ${server}: ${errorMessage(error)}`, { cause: error });
  }
  if (signalStopsConnectOnly) signal?.removeEventListener('abort', onAbort);
  return client;
}

/** Closes a client without waiting more than 2 s for a server that may be gone. */
export async function closeClient(client: pg.Client): Promise<void> {
  const timer = new Promise((resolve) => setTimeout(resolve, 2000).unref());
  const ended = client.end().catch(() => undefined);
  if ((await Promise.race([ended.then(() => 'ended'), timer])) !== 'ended') destroyConnection(client);
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
