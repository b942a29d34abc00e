import type { SidecarConfig } from '../config.ts';
import { describeServer } from '../postgres/connection.ts';
import { withServerNamed } from '../postgres/connection-loss.ts';
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
      immichMigration: result.immichMigration,
      unsupportedObjects: result.unsupportedObjects.map((object) => ({ kind: object.kind, schema: object.schema, name: object.name })),
      fingerprint: result.fingerprint,
    };
  };
}
