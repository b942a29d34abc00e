import type pg from 'pg';
import { writtenKinds } from './ddl/writers.ts';
import type { ObjectRef } from './dump-manifest.ts';

/**
 * The completeness guard: an inventory of every object pg_dump would dump for one database (no
 * --create), walked from the catalogs, one query per object kind. Objects that belong to an
 * extension are left out (CREATE EXTENSION recreates them), as are system schemas. Comparing it
 * with the kinds the native dump writes means a user's own publication, foreign table or
 * operator can never go missing silently: the dump fails and names it instead.
 */
export interface InventoryObject extends ObjectRef {
  /** For objects that live on a table (constraint, trigger, rule, policy): the table's name. */
  table?: string;
  /** Why an object the dump could write is unsupported all the same (it depends on an unsupported one). */
  reason?: string;
  /** The catalog row that is this object: how dependencies between objects are followed. */
  catalog?: string;
  oid?: number;
}

const userSchema = (column: string) => `${column} NOT LIKE 'pg\\_%' AND ${column} <> 'information_schema'`;
const notMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '${catalog}'::pg_catalog.regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

interface KindQuery {
  /** Object kinds this query can report (used by the tests and the README). */
  kinds: string[];
  /** Returns rows of (kind, schema, name, table). */
  sql: (versionNum: number) => string;
}

/** Kinds found by name in a schema, the same way: [kind, catalog, name column, namespace column]. */
const schemaObjects: Array<[string, string, string, string]> = [
  ['operator class', 'pg_opclass', 'opcname', 'opcnamespace'],
  ['operator family', 'pg_opfamily', 'opfname', 'opfnamespace'],
  ['collation', 'pg_collation', 'collname', 'collnamespace'],
  ['conversion', 'pg_conversion', 'conname', 'connamespace'],
  ['text search parser', 'pg_ts_parser', 'prsname', 'prsnamespace'],
  ['text search template', 'pg_ts_template', 'tmplname', 'tmplnamespace'],
  ['text search dictionary', 'pg_ts_dict', 'dictname', 'dictnamespace'],
  ['text search configuration', 'pg_ts_config', 'cfgname', 'cfgnamespace'],
];

/** One query per catalog; `kind` strings are what the user reads in the error message. */
export const inventoryQueries: KindQuery[] = [
  {
    kinds: ['schema'],
    sql: () => `SELECT 'schema' AS kind, NULL AS schema, n.nspname AS name, NULL AS table, 'pg_namespace' AS catalog, n.oid AS oid FROM pg_catalog.pg_namespace n
                 WHERE ${userSchema('n.nspname')} AND ${notMember('pg_namespace', 'n.oid')}`,
  },
  {
    kinds: ['extension'],
    sql: () => `SELECT 'extension', NULL, x.extname, NULL, 'pg_extension', x.oid FROM pg_catalog.pg_extension x WHERE x.oid >= 16384`,
  },
  {
    kinds: ['table', 'partitioned table', 'partition', 'foreign table partition',
      'partition being detached', 'inheritance child', 'typed table', 'view', 'materialized view', 'sequence', 'foreign table'],
    sql: () => `
      SELECT CASE
                  WHEN c.relkind = 'p' THEN 'partitioned table'
                  -- Only tables are written as partitions (CREATE TABLE, then ATTACH).
                  WHEN c.relkind = 'f' AND c.relispartition THEN 'foreign table partition'
                  -- An interrupted DETACH PARTITION CONCURRENTLY: the restore would attach it whole.
                  WHEN c.relispartition AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid AND i.inhdetachpending)
                       THEN 'partition being detached'
                  WHEN c.relispartition THEN 'partition'
                  WHEN c.relkind = 'r' AND c.reloftype <> 0 THEN 'typed table'
                  WHEN c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid) THEN 'inheritance child'
                  ELSE CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                                      WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' END END,
             n.nspname, c.relname, NULL, 'pg_class', c.oid
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${userSchema('n.nspname')} AND ${notMember('pg_class', 'c.oid')}`,
  },
  {
    kinds: ['index'],
    sql: () => `
      SELECT 'index', n.nspname, ic.relname, tc.relname, 'pg_class', ic.oid
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
       WHERE ${userSchema('n.nspname')} AND ${notMember('pg_class', 'tc.oid')} AND (i.indisvalid OR tc.relkind = 'p') AND i.indisready
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid AND co.contype IN ('p', 'u', 'x'))`,
  },
  {
    kinds: ['function', 'procedure', 'aggregate', 'window function', 'routine whose SQL body uses unnamed parameters'],
    sql: () => `
      SELECT CASE
                  -- PostgreSQL (14 to 18 at least) prints a parameter without a name as "" in a SQL-standard
                  -- body (BEGIN ATOMIC / RETURN) when another parameter has one (RETURNS TABLE columns count),
                  -- so pg_get_functiondef's text, and pg_dump's, fails the restore. The dump puts back the
                  -- only unnamed input parameter (ddl/function.ts); of two or more, which "" is which is lost.
                  WHEN p.prosqlbody IS NOT NULL
                       AND (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(p.proargnames) WITH ORDINALITY AS a(name, position)
                             WHERE a.name = '' AND COALESCE(p.proargmodes[a.position], 'i') IN ('i', 'b', 'v')) > 1
                       AND pg_catalog.strpos(pg_catalog.pg_get_function_sqlbody(p.oid), '""') > 0
                       THEN 'routine whose SQL body uses unnamed parameters'
                  ELSE CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'window function' END END,
             n.nspname, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', NULL, 'pg_proc', p.oid
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
       WHERE ${userSchema('n.nspname')} AND ${notMember('pg_proc', 'p.oid')}
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND i.objid = p.oid AND i.deptype = 'i')`,
  },
  {
    kinds: ['enum type', 'domain', 'composite type', 'range type', 'base type', 'shell type'],
    sql: () => `
      SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite type'
                            WHEN 'r' THEN 'range type' WHEN 'b' THEN 'base type'
                            -- CREATE TYPE t; never completed (a user cannot make any other pseudo-type).
                            WHEN 'p' THEN 'shell type' ELSE 'type' END,
             n.nspname, t.typname, NULL, 'pg_type', t.oid
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       WHERE ${userSchema('n.nspname')} AND ${notMember('pg_type', 't.oid')} AND t.typtype <> 'm'
         AND (t.typrelid = 0 OR (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')
         AND NOT (t.typelem <> 0 AND t.typlen = -1 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc)`,
  },
  {
    kinds: ['constraint', 'domain constraint'],
    sql: (v) => `
      SELECT 'constraint', n.nspname, co.conname, c.relname, 'pg_constraint', co.oid
        FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE (co.conparentid = 0 OR co.contype IN ('p', 'u', 'x')) AND co.contype <> 't' AND ${userSchema('n.nspname')} AND ${notMember('pg_class', 'c.oid')}
         ${v >= 180000 ? "AND co.contype <> 'n'" : ''}
      UNION ALL
      SELECT 'domain constraint', n.nspname, co.conname, t.typname, 'pg_constraint', co.oid
        FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_type t ON t.oid = co.contypid
        JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       WHERE ${userSchema('n.nspname')} AND ${notMember('pg_type', 't.oid')} ${v >= 180000 ? "AND co.contype <> 'n'" : ''}`,
  },
  {
    kinds: ['trigger'],
    sql: () => `
      SELECT 'trigger', n.nspname, t.tgname, c.relname, 'pg_trigger', t.oid FROM pg_catalog.pg_trigger t
        JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE (NOT t.tgisinternal OR (t.tgparentid <> 0 AND t.tgconstraint = 0)) AND ${userSchema('n.nspname')} AND ${notMember('pg_class', 'c.oid')}
         AND (t.tgparentid = 0 OR t.tgenabled <> (SELECT p.tgenabled FROM pg_catalog.pg_trigger p WHERE p.oid = t.tgparentid))`,
  },
  {
    kinds: ['rule'],
    sql: () => `
      SELECT 'rule', n.nspname, r.rulename, c.relname, 'pg_rewrite', r.oid FROM pg_catalog.pg_rewrite r
        JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE r.rulename <> '_RETURN' AND ${userSchema('n.nspname')} AND ${notMember('pg_class', 'c.oid')}`,
  },
  {
    kinds: ['policy', 'row level security'],
    sql: () => `
      SELECT 'policy', n.nspname, p.polname, c.relname, 'pg_policy', p.oid FROM pg_catalog.pg_policy p
        JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE ${userSchema('n.nspname')}
      UNION ALL
      SELECT 'row level security', n.nspname, c.relname, c.relname, 'pg_class', c.oid FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE (c.relrowsecurity OR c.relforcerowsecurity) AND ${userSchema('n.nspname')}`,
  },
  {
    // A table's or a schema's membership in a publication is its own statement (ALTER PUBLICATION
    // ... ADD), so one on a table the dump leaves out is left out with it.
    kinds: ['publication table', 'publication schema'],
    sql: (v) => `
      SELECT 'publication table', n.nspname, p.pubname, c.relname, 'pg_publication_rel', pr.oid FROM pg_catalog.pg_publication_rel pr
        JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      ${v >= 150000 ? `UNION ALL
      SELECT 'publication schema', n.nspname, p.pubname, NULL, 'pg_publication_namespace', pn.oid FROM pg_catalog.pg_publication_namespace pn
        JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid` : ''}`,
  },
  {
    kinds: ['operator', 'shell operator', 'operator class', 'operator family', 'cast', 'collation', 'conversion', 'text search parser', 'text search template', 'text search dictionary', 'text search configuration', 'foreign data wrapper', 'foreign server', 'user mapping', 'publication', 'subscription', 'subscription (only a superuser can read it)', 'event trigger', 'extended statistics', 'large object', 'procedural language', 'access method', 'transform', 'default privileges', 'security label'],
    sql: () => `
      -- A shell operator (no function) that no defined operator names as its commutator or negator
      -- would not come back: nothing writes it (see catalog/operators.sql).
      SELECT CASE WHEN o.oprcode = 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_operator x WHERE x.oprcode <> 0 AND (x.oprcom = o.oid OR x.oprnegate = o.oid))
                  THEN 'shell operator' ELSE 'operator' END,
             n.nspname, o.oprname || '(' || pg_catalog.format_type(o.oprleft, NULL) || ', ' || pg_catalog.format_type(o.oprright, NULL) || ')', NULL, 'pg_operator', o.oid
        FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
       WHERE ${userSchema('n.nspname')} AND ${notMember('pg_operator', 'o.oid')}
      UNION ALL ${schemaObjects.map(([kind, catalog, name, namespace]) => `SELECT '${kind}', n.nspname, o.${name}, NULL, '${catalog}', o.oid
        FROM pg_catalog.${catalog} o JOIN pg_catalog.pg_namespace n ON n.oid = o.${namespace}
       WHERE ${userSchema('n.nspname')} AND ${notMember(catalog, 'o.oid')}`).join('\n      UNION ALL ')}
      UNION ALL SELECT 'cast', NULL, '(' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')', NULL, 'pg_cast', c.oid
        FROM pg_catalog.pg_cast c WHERE c.oid >= 16384 AND ${notMember('pg_cast', 'c.oid')}
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_range r WHERE r.rngtypid = c.castsource AND r.rngmultitypid = c.casttarget)
      UNION ALL SELECT 'foreign data wrapper', NULL, w.fdwname, NULL, 'pg_foreign_data_wrapper', w.oid FROM pg_catalog.pg_foreign_data_wrapper w WHERE ${notMember('pg_foreign_data_wrapper', 'w.oid')}
      UNION ALL SELECT 'foreign server', NULL, s.srvname, NULL, 'pg_foreign_server', s.oid FROM pg_catalog.pg_foreign_server s WHERE ${notMember('pg_foreign_server', 's.oid')}
      UNION ALL SELECT 'user mapping', NULL, m.usename || ' on ' || m.srvname, NULL, 'pg_user_mapping', m.umid
        FROM pg_catalog.pg_user_mappings m
      UNION ALL SELECT 'publication', NULL, p.pubname, NULL, 'pg_publication', p.oid FROM pg_catalog.pg_publication p
      -- Only a superuser may read a subscription's connection string: for any other role it cannot be written (pg_dump skips it).
      UNION ALL SELECT CASE WHEN pg_catalog.has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT') THEN 'subscription'
                            ELSE 'subscription (only a superuser can read it)' END, NULL, s.subname, NULL, 'pg_subscription', s.oid FROM pg_catalog.pg_subscription s
       WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
      UNION ALL SELECT 'event trigger', NULL, t.evtname, NULL, 'pg_event_trigger', t.oid FROM pg_catalog.pg_event_trigger t WHERE ${notMember('pg_event_trigger', 't.oid')}
      UNION ALL SELECT 'extended statistics', n.nspname, s.stxname, c.relname, 'pg_statistic_ext', s.oid FROM pg_catalog.pg_statistic_ext s
        JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace JOIN pg_catalog.pg_class c ON c.oid = s.stxrelid
       WHERE ${userSchema('n.nspname')} AND ${notMember('pg_statistic_ext', 's.oid')}
      UNION ALL SELECT 'large object', NULL, l.oid::text, NULL, 'pg_largeobject', l.oid FROM pg_catalog.pg_largeobject_metadata l
      UNION ALL SELECT 'procedural language', NULL, l.lanname, NULL, 'pg_language', l.oid FROM pg_catalog.pg_language l WHERE l.oid >= 16384 AND ${notMember('pg_language', 'l.oid')}
      UNION ALL SELECT 'access method', NULL, a.amname, NULL, 'pg_am', a.oid FROM pg_catalog.pg_am a WHERE a.oid >= 16384 AND ${notMember('pg_am', 'a.oid')}
      UNION ALL SELECT 'transform', NULL, pg_catalog.format_type(t.trftype, NULL) || ' language ' || l.lanname, NULL, 'pg_transform', t.oid
        FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang WHERE ${notMember('pg_transform', 't.oid')}
      UNION ALL SELECT 'default privileges', n.nspname, pg_catalog.pg_get_userbyid(d.defaclrole) || ' ' || d.defaclobjtype::text, NULL, 'pg_default_acl', d.oid
        FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
      UNION ALL SELECT 'security label', NULL, s.provider || ' on ' || s.classoid::pg_catalog.regclass::text || ' ' || s.objoid::text, NULL, 'pg_seclabel', s.objoid
        FROM pg_catalog.pg_seclabel s`,
  },
];

export async function inventoryObjects(client: pg.ClientBase): Promise<InventoryObject[]> {
  const { rows: version } = await client.query<{ num: string }>(`SELECT pg_catalog.current_setting('server_version_num') AS num`);
  const versionNum = Number(version[0]!.num);
  const objects: InventoryObject[] = [];
  for (const query of inventoryQueries) {
    const { rows } = await client.query<{ kind: string; schema: string | null; name: string; table: string | null; catalog: string; oid: number }>(
      `SELECT kind, schema, name, "table", catalog, oid::pg_catalog.int8::float8 AS oid
         FROM (${query.sql(versionNum)}) AS inventory(kind, schema, name, "table", catalog, oid)`,
    );
    for (const row of rows) {
      const object: InventoryObject = { kind: row.kind, schema: row.schema, name: row.name, catalog: row.catalog, oid: row.oid };
      if (row.table !== null) object.table = row.table;
      objects.push(object);
    }
  }
  return objects;
}

/**
 * The objects of `inventory` that the dump does not write (a kind no DDL writer lists:
 * ddl/writers.ts), plus every object that depends on one of them (a table with a column of an
 * unsupported range type, the index on that table...): those could not be restored either.
 */
export async function unsupportedObjects(
  client: pg.ClientBase,
  inventory: InventoryObject[],
  options: { alsoUnsupported?: InventoryObject[] },
): Promise<InventoryObject[]> {
  const direct = [
    ...inventory.filter((object) => !writtenKinds.has(object.kind)),
    ...(options.alsoUnsupported ?? []),
  ];
  if (direct.length === 0) return [];
  const key = (catalog: string, oid: number) => `${catalog}:${oid}`;
  // Each edge's dependent is mapped to the object whose statement carries it: a view's _RETURN
  // rule to the view, a default to its table, a composite type's columns (pg_class rows of relkind
  // 'c', one edge per column) to the type. A validated CHECK is written inside CREATE TABLE /
  // CREATE DOMAIN, so its table or domain depends on it too (the last part of the query). So a
  // composite type with a column of a skipped type, or a table whose CHECK calls a skipped
  // function, is skipped and listed rather than written broken.
  const { rows: edges } = await client.query<{ catalog: string; oid: number; refcatalog: string; refoid: number }>(
    `SELECT CASE WHEN d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.rulename = '_RETURN' THEN 'pg_class'
                 WHEN d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN 'pg_class'
                 WHEN ct.oid IS NOT NULL THEN 'pg_type'
                 ELSE pg_catalog.replace(d.classid::pg_catalog.regclass::text, 'pg_catalog.', '') END AS catalog,
            COALESCE(CASE WHEN r.rulename = '_RETURN' THEN r.ev_class END, a.adrelid, ct.reltype, d.objid)::pg_catalog.int8::float8 AS oid,
            pg_catalog.replace(d.refclassid::pg_catalog.regclass::text, 'pg_catalog.', '') AS refcatalog,
            d.refobjid::pg_catalog.int8::float8 AS refoid
       FROM pg_catalog.pg_depend d
       LEFT JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.oid = d.objid
       LEFT JOIN pg_catalog.pg_attrdef a ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND a.oid = d.objid
       LEFT JOIN pg_catalog.pg_class ct ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ct.oid = d.objid AND ct.relkind = 'c'
      WHERE d.deptype IN ('n', 'a', 'i') AND d.objid >= 16384 AND d.refobjid >= 16384
     UNION ALL
     SELECT CASE WHEN co.conrelid <> 0 THEN 'pg_class' ELSE 'pg_type' END,
            (CASE WHEN co.conrelid <> 0 THEN co.conrelid ELSE co.contypid END)::pg_catalog.int8::float8,
            'pg_constraint', co.oid::pg_catalog.int8::float8
       FROM pg_catalog.pg_constraint co WHERE co.contype = 'c' AND co.convalidated AND co.oid >= 16384`,
  );
  const dependents = new Map<string, string[]>();
  for (const edge of edges) {
    const list = dependents.get(key(edge.refcatalog, edge.refoid)) ?? [];
    list.push(key(edge.catalog, edge.oid));
    dependents.set(key(edge.refcatalog, edge.refoid), list);
  }
  const cause = new Map<string, InventoryObject>();
  const queue: Array<[string, InventoryObject]> = direct.filter((o) => o.catalog !== undefined).map((o) => [key(o.catalog!, o.oid!), o]);
  for (const [k, o] of queue) cause.set(k, o);
  while (queue.length > 0) {
    const [current, root] = queue.shift()!;
    for (const dependent of dependents.get(current) ?? []) {
      if (cause.has(dependent)) continue;
      cause.set(dependent, root);
      queue.push([dependent, root]);
    }
  }
  // Compared by kind too: a table's row level security shares the table's catalog row, so when the
  // table is skipped its row level security is listed with it (as depending on it), not lost unnamed.
  const directKeys = new Set(direct.filter((o) => o.catalog !== undefined).map((o) => `${o.kind} ${key(o.catalog!, o.oid!)}`));
  const directSet = new Set(direct);
  const indirect = inventory
    .filter((object) => !directSet.has(object) && object.catalog !== undefined && !directKeys.has(`${object.kind} ${key(object.catalog, object.oid!)}`) && cause.has(key(object.catalog, object.oid!)))
    .map((object) => ({ ...object, reason: `depends on ${describeObject(cause.get(key(object.catalog!, object.oid!))!)}` }));
  return [...direct, ...indirect];
}

export function describeObject(object: InventoryObject): string {
  const where = object.schema === null ? '' : `${object.schema}.`;
  const table = object.table === undefined ? '' : ` on ${object.table}`;
  return `${object.kind} ${where}${object.name}${table}${object.reason === undefined ? '' : ` (${object.reason})`}`;
}
