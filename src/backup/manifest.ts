import { z } from 'zod';
import { fileEntrySchema, objectRefSchema, tableSummarySchema } from '../postgres/dump-manifest.ts';
import { storedFingerprintSchema } from '../postgres/fingerprint.ts';
import { manifestImmichSchema } from '../immich/restore-check.ts';

export { dumpFileName, manifestFileName, objectRefSchema, tableSummarySchema, type ObjectRef, type TableSummary } from '../postgres/dump-manifest.ts';

/**
 * `manifest.json`, written beside the dump in every run folder (`immich-YYYYMMDD_HHMMSS/`).
 * It is the run's proof of completeness: a folder whose manifest is missing, unreadable or not
 * `status: "complete"` is never treated as a good backup (not restored by default, not counted as
 * "last good" by retention). restore-db checks the dump against `files[].sha256`; verify compares a
 * restored database with `database.tables` and `database.fingerprint`.
 */
export const manifestFormatVersion = 1;
export const kopiaSnapshotRefSchema = z.object({ id: z.string(), source: z.string() });

export const manifestSchema = z.object({
  formatVersion: z.literal(manifestFormatVersion),
  tool: z.literal('immich-backup'),
  toolVersion: z.string(),
  runId: z.string(),
  status: z.enum(['in-progress', 'complete', 'failed']),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  database: z
    .object({
      /** server_version, e.g. "14.23" */
      serverVersion: z.string(),
      name: z.string(),
      file: z.string(),
      tables: z.array(tableSummarySchema),
      /** Objects the dump could not write (only with --allow-unsupported; otherwise the dump fails). */
      unsupportedObjects: z.array(objectRefSchema).default([]),
      /**
       * Every object the dump wrote with all its catalog properties, read in the dump's snapshot
       * independently of the DDL generator (src/postgres/fingerprint.ts); verify compares the
       * restored database with it. Absent in manifests of older versions.
       */
      fingerprint: storedFingerprintSchema.optional(),
    })
    .nullable(),
  /** Every file of the run folder except the manifest itself, paths relative to the folder. */
  files: z.array(fileEntrySchema),
  /**
   * Immich when the dump was taken: its server's version (null: not reachable) and the newest
   * kysely_migrations row read in the dump's snapshot (null: no such table). restore-db warns
   * when the target's Immich is older (Immich cannot migrate a database down).
   */
  immich: manifestImmichSchema.optional(),
  /** Step durations in milliseconds, by step name. */
  timings: z.record(z.string(), z.number().nonnegative()),
  warnings: z.array(z.string()).default([]),
  error: z.string().nullable().default(null),
  /**
   * The run's Kopia snapshots, recorded after the local part was complete (so the copy of this
   * manifest inside the backups snapshot does not have it). A Kopia failure is recorded here and
   * never makes the local backup less good: `status` stays "complete".
   */
  kopia: z
    .object({
      backups: kopiaSnapshotRefSchema.nullable(),
      library: kopiaSnapshotRefSchema.nullable(),
      /** The repository the snapshots went to (absent when its check failed, or in older manifests). */
      repository: z.object({ id: z.string(), storage: z.string(), description: z.string(), offsite: z.boolean(), apiServerURL: z.string().optional() }).nullable().optional(),
      errors: z.array(z.string()),
    })
    .optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
