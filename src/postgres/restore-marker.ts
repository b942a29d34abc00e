/**
 * The mark of a restore in progress that restore-db leaves in the target database's own settings,
 * and what a dump reads of it. See restoreMarkerSetting.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { UserError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';

/**
 * The database setting that marks a restore in progress which is not one transaction: its pieces
 * commit as they load, so a restore-db that dies part-way (SIGKILL, the OOM killer, a reboot) leaves
 * a half-restored database and no connection to show for it. The mark is in the database's own
 * settings, so it outlives the process; a backup refuses the database while it is there. A custom
 * placeholder name: PostgreSQL keeps it and nothing reads it but us.
 */
export const restoreMarkerSetting = 'immich_backup.restore_in_progress';

/**
 * The value of the database's restore mark (when and by which restore-db it was set), or undefined.
 * Read from the catalog: in a dump's snapshot, it is what that snapshot saw.
 */
export async function restoreMarker(client: pg.ClientBase): Promise<string | undefined> {
  const { rows } = await client.query<{ item: string }>(
    `SELECT item FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) AS item
      WHERE s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
        AND s.setrole = 0 AND pg_catalog.starts_with(item, $1)`,
    [`${restoreMarkerSetting}=`],
  );
  return rows[0]?.item.slice(restoreMarkerSetting.length + 1);
}

/** The statement that removes the restore mark from `database`, as the user may run it themselves. */
export function clearRestoreMarkerSql(database: string): string {
  return `ALTER DATABASE ${pg.escapeIdentifier(database)} RESET ${restoreMarkerSetting}`;
}

/** Why a database with a restore mark is not backed up, and the ways out. */
export function halfRestoredMessage(database: string, server: string, marker: string): string {
  return (
    `database "${database}" on ${server} was left half-restored by restore-db started at ${marker} (it stopped before the end): it is not backed up, ` +
    `as a backup of it would pass for good. Restore it again (restore-db --clean); if you know the database is whole, ` +
    `clear the mark as its owner or a superuser: ${clearRestoreMarkerSql(database)};`
  );
}

/**
 * Sets the restore mark on `database`. PostgreSQL lets only a superuser store a custom setting, or
 * (15 and newer) a role granted SET on it: Immich's documented non-superuser owner may not, and
 * restores without the mark, warned (the guard is off), not refused.
 */
export async function markRestoreInProgress(client: pg.ClientBase, database: string, user: string, log: Logger | undefined): Promise<boolean> {
  const value = `${new Date().toISOString()} (pid ${process.pid} on ${hostname()})`;
  try {
    await client.query(`ALTER DATABASE ${pg.escapeIdentifier(database)} SET ${restoreMarkerSetting} = ${pg.escapeLiteral(value)}`);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code !== '42501') throw error;
    log?.warn(
      { database, user, err: errorMessage(error) },
      `cannot mark database ${database} as being restored (${restoreMarkerSetting}): the guard is off. If this restore dies part-way, ` +
        'a backup run would take the half-restored database for a good one. Restore as a superuser to have the guard, or on PostgreSQL 15 ' +
        `or newer let a superuser allow it once: GRANT SET ON PARAMETER ${restoreMarkerSetting} TO ${pg.escapeIdentifier(user)};`,
    );
    return false;
  }
}

/** Removes the restore mark; one that cannot be removed is an error, as backups would refuse the whole database. */
export async function clearRestoreMarker(client: pg.ClientBase, database: string): Promise<void> {
  try {
    await client.query(clearRestoreMarkerSql(database));
  } catch (error) {
    throw new UserError(
      `database ${database} was restored, but its mark of a restore in progress (${restoreMarkerSetting}) could not be removed: ${errorMessage(error)}. ` +
        `Backups refuse the database until it is: run ${clearRestoreMarkerSql(database)}; as its owner or a superuser`,
      { cause: error },
    );
  }
}
