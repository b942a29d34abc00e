/**
 * Step "dump": the native dump of Immich's database into the run folder (src/postgres/dump.ts does
 * the work and logs its own progress). Its result is src/postgres/dump.ts's own, as it is: the
 * report's figures and the manifest's database section are both read from it here, and only here.
 */
import type { SidecarConfig } from '../../config.ts';
import { describeServer } from '../../postgres/connection.ts';
import { withServerNamed } from '../../postgres/connection-loss.ts';
import { dumpToFile } from '../../postgres/dump.ts';
import { restoreConnectionsInto } from '../../postgres/restore.ts';
import type { StoredFingerprint } from '../../postgres/fingerprint.ts';
import { dumpFileName, type Manifest, type ObjectRef, type TableSummary } from '../manifest.ts';
import type { DumpFigures } from '../../report.ts';
import type { RunFolder } from '../run-folders.ts';
import { stepResult, type StepContext, type StepResult } from './step.ts';

/** What the run uses of a dump's result (a test's stand-in dump returns just this). */
export interface DumpStepResult {
  serverVersion: string;
  database: string;
  tables: TableSummary[];
  size: number;
  sha256: string;
  uncompressedBytes: number;
  unsupportedObjects?: ObjectRef[];
  fingerprint?: StoredFingerprint;
  /** The newest kysely_migrations row, read in the dump's snapshot (null: no such table). */
  immichMigration?: string | null;
}

/** The real step: dumps into `file` with the configured connection, compression and jobs. */
export function dumpStep(config: SidecarConfig) {
  return (file: string, context: StepContext): Promise<DumpStepResult> =>
    dumpToFile({
      connection: config.database.connection,
      path: file,
      compressionLevel: config.compressionLevel,
      allowUnsupported: config.allowUnsupported,
      requireImmich: !config.allowNonImmichDatabase,
      ...(config.dumpJobs === undefined ? {} : { jobs: config.dumpJobs }),
      timeoutMs: config.dumpTimeoutMs,
      stallTimeoutMs: config.dumpStallTimeoutMs,
      signal: context.signal,
      log: context.log,
      onProgress: (progress: unknown) => context.progress({ ...(progress as Record<string, unknown>) }),
    }).catch((error: unknown) => {
      throw withServerNamed(error, describeServer(config.database.connection));
    });
}

/**
 * Before the dump: a restore-db restoring into Immich's database (a new stack being set up at night,
 * with the sidecar running) would be dumped half-restored and kept as a good backup. Such a run is
 * skipped, as during Immich's own restore (maintenance mode).
 */
export function restoringCheck(config: SidecarConfig) {
  return async (context: StepContext): Promise<string | undefined> => {
    const connections = await restoreConnectionsInto(config.database.connection, { signal: context.signal });
    if (connections === undefined || connections === 0) return undefined;
    return `restore-db is restoring into database ${config.database.description} (${connections} connection(s)): no backup is taken of a database half-restored; the next run backs up the restored one`;
  };
}

/** The dump as the run report, notifications and metrics show it. */
export function dumpFigures(dump: DumpStepResult): DumpFigures {
  return {
    file: dumpFileName,
    size: dump.size,
    sha256: dump.sha256,
    uncompressedBytes: dump.uncompressedBytes,
    serverVersion: dump.serverVersion,
    database: dump.database,
    tables: dump.tables.length,
    rows: dump.tables.reduce((sum, table) => sum + table.rows, 0),
  };
}

/** The dump as manifest.json records it (what restore-db and verify check against). */
export function manifestDatabase(dump: DumpStepResult): NonNullable<Manifest['database']> {
  return {
    serverVersion: dump.serverVersion,
    name: dump.database,
    file: dumpFileName,
    tables: dump.tables,
    unsupportedObjects: (dump.unsupportedObjects ?? []).map((object) => ({ kind: object.kind, schema: object.schema, name: object.name })),
    ...(dump.fingerprint === undefined ? {} : { fingerprint: dump.fingerprint }),
  };
}

/**
 * A sharp shrink of Immich's asset table since the last good backup is worth a warning (not a
 * failure: people do delete photos): fewer than `share` of the previous count, and by more than
 * `rows`, so that a small test instance emptied on purpose does not cry wolf.
 */
export const assetShrinkLimits = { share: 0.5, rows: 100 } as const;

/** Rows of Immich's asset table (`assets` before Immich renamed it), or undefined when there is none. */
function assetRows(tables: readonly TableSummary[]): number | undefined {
  for (const name of ['asset', 'assets']) {
    const table = tables.find((candidate) => candidate.schema === 'public' && candidate.name === name);
    if (table !== undefined) return table.rows;
  }
  return undefined;
}

/** The warning when this dump's asset table shrank sharply since `previous`, the last good backup (see assetShrinkLimits). */
export function assetShrinkWarning(dump: DumpStepResult, previous: Pick<RunFolder, 'name' | 'manifest'> | undefined): string | undefined {
  const before = previous?.manifest?.database == null ? undefined : assetRows(previous.manifest.database.tables);
  const now = assetRows(dump.tables);
  if (previous === undefined || before === undefined || now === undefined) return undefined;
  if (now >= before * assetShrinkLimits.share || before - now <= assetShrinkLimits.rows) return undefined;
  return (
    `Immich's asset table holds ${now} rows, down from ${before} in the last good backup ${previous.name}: ` +
    `if nobody deleted that many photos, check that DB_DATABASE_NAME (or DB_URL) still names the database Immich uses; ` +
    `${previous.name} is kept only until retention reaches it (BACKUP_KEEP_DAYS)`
  );
}

/** `previous`: the last good backup before this run, to warn about a sharp shrink of the asset table. */
export function summarizeDump(dump: DumpStepResult, previous?: Pick<RunFolder, 'name' | 'manifest'>): StepResult {
  const figures = dumpFigures(dump);
  const shrink = assetShrinkWarning(dump, previous);
  return stepResult({
    summary: `${dumpFileName} ${figures.size} bytes, ${figures.tables} tables, ${figures.rows} rows (PostgreSQL ${figures.serverVersion})`,
    details: { size: figures.size, uncompressedBytes: figures.uncompressedBytes, tables: figures.tables, rows: figures.rows },
    ...(shrink === undefined ? {} : { warnings: [shrink] }),
  });
}
