import type { SidecarConfig } from '../config.ts';
import { UserError, errorMessage } from '../errors.ts';
import { describeServer } from '../postgres/connection.ts';
import { dumpToFile } from '../postgres/dump.ts';
import type { DumpStepResult, StepContext } from './run.ts';

/** Step 1: the native dump of Immich's database into the run folder (logs its own progress). */
export function dumpStep(config: SidecarConfig) {
  return async (file: string, context: StepContext): Promise<DumpStepResult> => {
    const result = await dumpToFile({
      connection: config.database.connection,
      path: file,
      compressionLevel: config.compressionLevel,
      allowUnsupported: config.allowUnsupported,
      ...(config.dumpJobs === undefined ? {} : { jobs: config.dumpJobs }),
      timeoutMs: config.dumpTimeoutMs,
      stallTimeoutMs: config.dumpStallTimeoutMs,
      signal: context.signal,
      log: context.log,
      onProgress: (progress: unknown) => context.progress({ ...(progress as Record<string, unknown>) }),
    }).catch((error: unknown) => {
      throw withServerNamed(error, describeServer(config.database.connection));
    });
    return {
      serverVersion: result.serverVersion,
      database: result.database,
      tables: result.tables,
      size: result.size,
      sha256: result.sha256,
      uncompressedBytes: result.uncompressedBytes,
      unsupportedObjects: result.unsupportedObjects.map((object) => ({ kind: object.kind, schema: object.schema, name: object.name })),
      fingerprint: result.fingerprint,
    };
  };
}

/** Errors of a connection that went away while in use (the server restarted, was killed, or the network dropped). */
const connectionLossCodes = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
const connectionLossMessage = /Connection terminated|server closed the connection|terminating connection|ECONNRESET|EPIPE|socket hang up/i;

/** A lost connection names the server (host:port, never the password), so the reader knows which one went away. */
function withServerNamed(error: unknown, server: string): unknown {
  const message = errorMessage(error);
  const code = (error as { code?: string }).code;
  if (message.includes(server)) return error;
  if (!(connectionLossMessage.test(message) || (code !== undefined && connectionLossCodes.has(code)))) return error;
  return new UserError(`lost the connection to the database at ${server}: ${message}`, { cause: error });
}
