import type pg from 'pg';

/**
 * The newest migration Immich applied to a database: a row of `kysely_migrations (name,
 * timestamp)`, names like `1744910873969-InitialMigration`. Immich runs its migrations forward
 * only, so a database holding a newer one than the Immich that will use it cannot be served.
 * Null when the table does not exist (not an Immich database, or one from before Kysely).
 * It lives with the dump because the dump reads it in its own snapshot; immich/ uses it too.
 */
export async function newestImmichMigration(client: pg.ClientBase): Promise<string | null> {
  const { rows: present } = await client.query<{ present: boolean }>(
    `SELECT pg_catalog.to_regclass('public.kysely_migrations') IS NOT NULL AS present`,
  );
  if (present[0]?.present !== true) return null;
  // By the numeric prefix (the migration's creation time), then by name: the order Kysely applies them in.
  const { rows } = await client.query<{ name: string }>(
    `SELECT name FROM public.kysely_migrations
      ORDER BY pg_catalog.substring(name, '^[0-9]+')::numeric DESC NULLS LAST, name DESC LIMIT 1`,
  );
  return rows[0]?.name ?? null;
}

/** Compares two migration names the way newestImmichMigration orders them: < 0 when a is older. */
export function compareMigrations(a: string, b: string): number {
  const stamp = (name: string) => /^\d+/.exec(name)?.[0];
  const [left, right] = [stamp(a), stamp(b)];
  if (left !== undefined && right !== undefined && left !== right) {
    return left.length !== right.length ? left.length - right.length : left < right ? -1 : 1;
  }
  if (left === undefined && right !== undefined) return -1;
  if (left !== undefined && right === undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Immich's first TypeORM migration. Immich before 1.133 recorded its migrations in TypeORM's
 * `migrations (id, timestamp, name)` table, this one first in every database it created; the
 * table stays after the move to Kysely (nothing drops it).
 */
const firstTypeOrmMigration = 'CreateUserTable1645130759468';

/**
 * Whether the database holds TypeORM's `migrations` table with Immich's rows (Immich before
 * 1.133). Another program's `migrations` table (Laravel's has no `name` column) is not Immich's.
 */
export async function hasTypeOrmImmichMigrations(client: pg.ClientBase): Promise<boolean> {
  const { rows: present } = await client.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                     WHERE attrelid = pg_catalog.to_regclass('public.migrations') AND attname = 'name' AND NOT attisdropped) AS present`,
  );
  if (present[0]?.present !== true) return false;
  const { rows } = await client.query<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM public.migrations WHERE name::text = $1) AS found`, [firstTypeOrmMigration]);
  return rows[0]?.found === true;
}

/**
 * Why a database is not Immich's, for a backup that would otherwise be kept as a good one: neither
 * Kysely's bookkeeping (a `kysely_migrations` row, Immich 1.133 and later) nor TypeORM's (older
 * Immich). Undefined when it is Immich's. `newestMigration` is newestImmichMigration's answer.
 */
export async function notImmichReason(client: pg.ClientBase, newestMigration: string | null, where: { database: string; server: string }): Promise<string | undefined> {
  if (newestMigration !== null || (await hasTypeOrmImmichMigrations(client))) return undefined;
  return (
    `database "${where.database}" on ${where.server} holds no Immich schema: no kysely_migrations rows (Immich 1.133 and later) ` +
    `and no TypeORM migrations table with Immich's rows (older Immich). Nothing was written: a backup of it would count as good ` +
    `and push the real backups out of retention. Check that DB_DATABASE_NAME (or DB_URL) names Immich's database, as in Immich's .env, ` +
    `and that the sidecar reaches Immich's Postgres; to back up a database that is not Immich's, set ALLOW_NON_IMMICH_DATABASE=true`
  );
}
