import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { DatabaseConfig } from '../config.ts';
import { manifestFileName } from '../postgres/dump-manifest.ts';
import { describeObject } from '../postgres/inventory.ts';
import { closeClient, openClient } from '../postgres/connection.ts';
import { compareMigrations, newestImmichMigration } from '../postgres/immich-migrations.ts';

/**
 * Which Immich made a backup, as manifest.json records it: the part of the manifest restore-db reads
 * here (backup/manifest.ts builds the whole manifest with it, so the two cannot drift apart).
 */
export const manifestImmichSchema = z.object({ version: z.string().nullable(), migration: z.string().nullable() });
const manifestWithImmichSchema = z.object({
  immich: manifestImmichSchema.optional(),
  // What a dump made with DUMP_ALLOW_UNSUPPORTED left out (as describeObject names them).
  database: z
    .object({ unsupportedObjects: z.array(z.object({ kind: z.string(), schema: z.string().nullable(), name: z.string(), table: z.string().optional(), reason: z.string().optional() })).default([]) })
    .nullable()
    .optional(),
});

/** Objects named in the warning about what a backup does not hold; the rest are counted. */
const shownLeftOut = 5;

export interface ImmichRestoreNotes {
  /** What the backup says about its Immich (from the manifest beside the dump), if anything. */
  backup: { version: string | null; migration: string | null } | null;
  /** The newest kysely_migrations row of the target before the restore (null: none). */
  target: string | null;
  /** Lines for the person restoring: what the backup holds, and warnings. */
  lines: string[];
  /** True when the target's Immich is older than the backup's: it cannot migrate the database down. */
  targetOlder: boolean;
}

/**
 * Before restore-db: which Immich made the backup, and whether the Immich of the target database
 * is older (Immich runs migrations forward only, so it cannot start on a database from a newer
 * version). Never fails the restore: a manifest without Immich figures or a target without
 * kysely_migrations just gives fewer lines.
 */
export async function immichRestoreNotes(input: string, connection: DatabaseConfig['connection']): Promise<ImmichRestoreNotes> {
  let backup: ImmichRestoreNotes['backup'] = null;
  let leftOut: string[] = [];
  const manifestPath = join(dirname(input), manifestFileName);
  if (existsSync(manifestPath)) {
    try {
      const parsed = manifestWithImmichSchema.safeParse(JSON.parse(readFileSync(manifestPath, 'utf8')));
      if (parsed.success) backup = parsed.data.immich ?? null;
      if (parsed.success) leftOut = (parsed.data.database?.unsupportedObjects ?? []).map((object) => describeObject(object));
    } catch {
      // An unreadable manifest is the restore's own check to report (it refuses the dump).
    }
  }
  let fromName = false;
  if (backup === null) {
    // No manifest (a copy in Immich's backups folder, or Immich's own dump): the name may carry the
    // version, the way Immich's web restore reads it. Only a plain x.y.z is trusted.
    const version = /-v(.*)-/.exec(basename(input))?.[1];
    if (version !== undefined && /^\d+\.\d+\.\d+$/.test(version)) {
      backup = { version, migration: null };
      fromName = true;
    }
  }
  let target: string | null = null;
  try {
    // DB_CONNECT_TIMEOUT applies here too; closeClient does not wait on a server that stopped answering.
    const client = await openClient(connection, { applicationName: 'immich-backup restore check' });
    try {
      target = await newestImmichMigration(client);
    } finally {
      await closeClient(client);
    }
  } catch {
    // The restore itself reports a connection problem with its own words.
  }
  const lines: string[] = [];
  if (backup === null) {
    lines.push('backup: no Immich version recorded (no manifest.json beside the dump, or made before it was recorded)');
  } else {
    lines.push(
      `backup: made with Immich ${backup.version === null ? '(version unknown)' : `v${backup.version}`}` +
        `${backup.migration === null ? '' : `, newest migration ${backup.migration}`}${fromName ? ' (from its file name)' : ''}`,
    );
  }
  if (leftOut.length > 0) {
    // Known when the backup was made (and in its notifications), but news on the day it is restored.
    const more = leftOut.length > shownLeftOut ? `, and ${leftOut.length - shownLeftOut} more (manifest.json: database.unsupportedObjects)` : '';
    lines.push(
      `warning: this backup does not hold ${leftOut.length} object(s) its dump could not write (made with DUMP_ALLOW_UNSUPPORTED), so neither does the restored database: ${leftOut.slice(0, shownLeftOut).join(', ')}${more}`,
    );
  }
  const targetOlder = backup?.migration != null && target !== null && compareMigrations(target, backup.migration) < 0;
  if (target !== null) lines.push(`target: newest Immich migration ${target}`);
  if (targetOlder) {
    lines.push(
      `warning: the target database's Immich is older than the backup's (migration ${target} < ${backup!.migration}): ` +
        `Immich cannot migrate a database down, so run Immich ${backup!.version === null ? 'at the backup\'s version' : `v${backup!.version}`} or newer on it after the restore`,
    );
  } else if (backup?.version != null && (target === null || backup.migration === null)) {
    lines.push(`note: run Immich v${backup.version} or newer on the restored database (Immich cannot migrate a database down)`);
  }
  return { backup, target, lines, targetOlder };
}
