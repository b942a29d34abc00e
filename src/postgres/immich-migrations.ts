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
