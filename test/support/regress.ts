import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { basename, dirname } from 'node:path';
import type { PostgresServer } from './postgres.ts';

/** PostgreSQL's own regression scripts, shipped beside the project (../shared/pg-regress). */
export const regressBuildScript = fileURLToPath(new URL('../../../shared/pg-regress/build.sh', import.meta.url));

/**
 * Builds the regression database (about 930 relations and almost every object kind) in
 * `database` on `server`, with the psql of a postgres container (the same client everywhere, so
 * the same corpus on every machine). That psql stops reading rowsecurity.sql at its failing
 * `COPY ... FROM STDIN`, so that script's clean-up does not run and a partitioned table with row
 * level security stays in the database: one more object the dump must name when it skips it.
 * Takes about a minute and a half on two cores.
 */
export async function buildRegressionDatabase(server: PostgresServer, database: string): Promise<string> {
  await server.createDatabase(database);
  const result = await server.runClientScript(dirname(regressBuildScript), basename(regressBuildScript), [database]);
  if (result.code !== 0) throw new Error(`build.sh failed: ${result.stderr}`);
  return result.stdout.trim();
}

/**
 * Drops, in `client`'s database, the objects a dump listed as unsupported, by the catalog row the
 * dump reported for each (`catalog` + `oid`; a copy made with CREATE DATABASE ... TEMPLATE keeps
 * every OID). pg_identify_object names each object the way DROP expects it; CASCADE takes what
 * depends on it too. Objects already gone with an earlier CASCADE are skipped. Returns the
 * statements run.
 */
export async function dropListedObjects(client: pg.ClientBase, objects: Array<{ catalog?: string; oid?: number; kind: string }>): Promise<string[]> {
  const statements: string[] = [];
  for (const object of objects) {
    if (object.catalog === undefined || object.oid === undefined) throw new Error(`no catalog row for unsupported ${object.kind}`);
    const { rows } = await client.query<{ type: string; identity: string | null; exists: boolean }>(
      `SELECT i.type, i.identity FROM pg_catalog.pg_identify_object($1::pg_catalog.regclass, $2::pg_catalog.oid, 0) i`,
      [`pg_catalog.${object.catalog}`, object.oid],
    );
    const { type, identity } = rows[0]!;
    if (identity === null) continue; // dropped with something else already
    if (object.catalog === 'pg_subscription') {
      // A shared catalog: the copy sees the source database's subscriptions, but they are not its own (pg_dump skips them too).
      const own = await client.query(
        `SELECT 1 FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON d.oid = s.subdbid
          WHERE s.oid = $1::pg_catalog.oid AND d.datname = pg_catalog.current_database()`,
        [object.oid],
      );
      if (own.rowCount === 0) continue;
    }
    const statement = dropStatement(type, identity, object.oid);
    statements.push(statement);
    try {
      await client.query(statement);
    } catch (error) {
      throw new Error(`${statement}: ${(error as Error).message}`, { cause: error });
    }
  }
  return statements;
}

/**
 * Recreates `source`'s subscriptions in `target`'s database: CREATE DATABASE ... TEMPLATE copies
 * none (they live in a shared catalog, by database). Only what the regression tests set is
 * carried: connection, publications, slot, binary, streaming, owner and comment; never connecting.
 */
export async function copySubscriptions(source: pg.ClientBase, target: pg.ClientBase): Promise<void> {
  const { rows } = await source.query<{ sql: string }>(
    `SELECT pg_catalog.format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %s WITH (connect = false, slot_name = %s, binary = %s, streaming = %s)',
              s.subname, s.subconninfo, (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(p), ', ') FROM pg_catalog.unnest(s.subpublications) AS p),
              COALESCE(pg_catalog.quote_literal(s.subslotname), 'NONE'), s.subbinary::text,
              -- A boolean up to 15, a code from 16.
              CASE s.substream::text WHEN 'true' THEN 'on' WHEN 't' THEN 'on' WHEN 'p' THEN 'parallel' ELSE 'off' END)
            || pg_catalog.format('; ALTER SUBSCRIPTION %I OWNER TO %I', s.subname, pg_catalog.pg_get_userbyid(s.subowner))
            || COALESCE(pg_catalog.format('; COMMENT ON SUBSCRIPTION %I IS %L', s.subname, pg_catalog.obj_description(s.oid, 'pg_subscription')), '') AS sql
       FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON d.oid = s.subdbid
      WHERE d.datname = pg_catalog.current_database()`,
  );
  for (const row of rows) await target.query(row.sql);
}

/** A DROP for one object as pg_identify_object describes it (type, identity). */
function dropStatement(type: string, identity: string, oid: number): string {
  const onTable = /^(.*) on (.*)$/s.exec(identity);
  switch (type) {
    case 'table constraint':
      return `ALTER TABLE ${onTable![2]} DROP CONSTRAINT ${onTable![1]} CASCADE`;
    case 'domain constraint':
      return `ALTER DOMAIN ${onTable![2]} DROP CONSTRAINT ${onTable![1]} CASCADE`;
    case 'trigger':
    case 'rule':
    case 'policy':
      return `DROP ${type.toUpperCase()} ${onTable![1]} ON ${onTable![2]} CASCADE`;
    case 'foreign-data wrapper':
      return `DROP FOREIGN DATA WRAPPER ${identity} CASCADE`;
    case 'statistics object':
      return `DROP STATISTICS ${identity} CASCADE`;
    case 'composite type':
      return `DROP TYPE ${identity} CASCADE`;
    case 'user mapping': {
      const mapping = /^(.*) on server (.*)$/s.exec(identity)!;
      return `DROP USER MAPPING FOR ${mapping[1]} SERVER ${mapping[2]}`;
    }
    case 'transform': {
      const transform = /^for (.*) on language (.*)$/s.exec(identity)!;
      return `DROP TRANSFORM FOR ${transform[1]} LANGUAGE ${transform[2]} CASCADE`;
    }
    case 'aggregate':
      // pg_identify_object names a zero-argument aggregate `a()`; DROP AGGREGATE wants `a(*)`.
      return `DROP AGGREGATE ${identity.replace(/\(\)$/, '(*)')} CASCADE`;
    case 'large object':
      return `SELECT pg_catalog.lo_unlink(${oid})`;
    case 'table': case 'view': case 'materialized view': case 'index': case 'sequence': case 'foreign table': case 'type':
    case 'domain': case 'function': case 'procedure': case 'operator': case 'operator class':
    case 'operator family': case 'cast': case 'collation': case 'conversion': case 'text search parser':
    case 'text search template': case 'text search dictionary': case 'text search configuration': case 'server':
    case 'publication': case 'subscription': case 'event trigger': case 'language': case 'access method': case 'schema':
    case 'extension':
      return `DROP ${type.toUpperCase()} ${identity} CASCADE`;
    default:
      throw new Error(`the test does not know how to drop a ${type} (${identity})`);
  }
}
