import { UserError, errorMessage } from '../errors.ts';

/** Errors of a connection that went away while in use (the server restarted, was killed, or the network dropped). */
const connectionLossCodes = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
const connectionLossMessage = /Connection terminated|server closed the connection|terminating connection|ECONNRESET|EPIPE|socket hang up/i;

/**
 * A lost connection's error, naming the server (`server` is host:port, never the password), so
 * that the reader knows which one went away; any other error as it was.
 */
export function withServerNamed(error: unknown, server: string): unknown {
  const message = errorMessage(error);
  const code = (error as { code?: string } | undefined)?.code;
  if (message.includes(server)) return error;
  if (!(connectionLossMessage.test(message) || (code !== undefined && connectionLossCodes.has(code)))) return error;
  return new UserError(`lost the connection to the database at ${server}: ${message}`, { cause: error });
}
