import type pg from 'pg';

/**
 * A server-side description of a database's schema and data, for comparing a source database
 * with its restored copy on any server version (the machine's pg_dump only reads servers <= 15).
 * Every line names an object and its definition as the server prints it.
 */
export async function describeSchema(client: pg.ClientBase): Promise<string[]> {
  const userSchema = (column: string) => `${column} NOT LIKE 'pg\\_%' AND ${column} <> 'information_schema'`;
  const queries = [
    `SELECT 'schema ' || nspname || ' ' || coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE ${userSchema('nspname')}`,
    `SELECT 'extension ' || extname || ' in ' || extnamespace::regnamespace::text FROM pg_extension`,
    `SELECT 'column ' || c.oid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
            || ' storage=' || a.attstorage::text || ' collation=' || a.attcollation::regcollation::text
            || ' stat=' || coalesce(a.attstattarget::text, '-1') || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
            || ' comment=' || coalesce(col_description(c.oid, a.attnum), '')
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m','c','f') AND ${userSchema('n.nspname')}
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e')`,
    `SELECT 'relation ' || c.oid::regclass::text || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
            || ' options=' || coalesce(c.reloptions::text, '') || ' replident=' || c.relreplident::text
            || ' rls=' || c.relrowsecurity || ' populated=' || c.relispopulated || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${userSchema('n.nspname')} AND c.relkind <> 't'
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e')`,
    `SELECT 'view ' || oid::regclass::text || ' ' || pg_get_viewdef(oid) FROM pg_class WHERE relkind IN ('v','m')
        AND ${userSchema('relnamespace::regnamespace::text')}`,
    `SELECT 'constraint ' || conrelid::regclass::text || ' ' || contypid::regtype::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
            || ' validated=' || convalidated || ' comment=' || coalesce(obj_description(oid, 'pg_constraint'), '')
       FROM pg_constraint WHERE ${userSchema('connamespace::regnamespace::text')}
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = pg_constraint.contypid AND e.deptype = 'e')`,
    `SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' clustered=' || i.indisclustered || ' valid=' || i.indisvalid
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE ${userSchema('c.relnamespace::regnamespace::text')}`,
    `SELECT 'trigger ' || pg_get_triggerdef(oid) || ' enabled=' || tgenabled::text || ' comment=' || coalesce(obj_description(oid, 'pg_trigger'), '')
       FROM pg_trigger WHERE NOT tgisinternal`,
    `SELECT 'function ' || pg_get_functiondef(p.oid) || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
       FROM pg_proc p WHERE ${userSchema('p.pronamespace::regnamespace::text')} AND p.prokind IN ('f','p')
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = p.oid AND e.deptype = 'e')`,
    `SELECT 'type ' || t.oid::regtype::text || ' ' || t.typtype::text || ' ' || coalesce(format_type(t.typbasetype, t.typtypmod), '')
            || ' notnull=' || t.typnotnull || ' default=' || coalesce(t.typdefault, '')
            || ' labels=' || coalesce((SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), '')
            || ' comment=' || coalesce(obj_description(t.oid, 'pg_type'), '')
       FROM pg_type t WHERE ${userSchema('t.typnamespace::regnamespace::text')} AND t.typtype IN ('e','d','c','r')
        AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = t.oid AND e.deptype = 'e')`,
    `SELECT 'sequence ' || s.seqrelid::regclass::text || ' ' || format_type(s.seqtypid, NULL) || ' ' || s.seqstart || ' ' || s.seqincrement
            || ' ' || s.seqmin || ' ' || s.seqmax || ' ' || s.seqcache || ' ' || s.seqcycle
            || ' owned=' || coalesce((SELECT d.refobjid::regclass::text || '.' || d.refobjsubid || ':' || d.deptype::text FROM pg_depend d
                                       WHERE d.objid = s.seqrelid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                                         AND d.deptype IN ('a','i')), '')
       FROM pg_sequence s`,
    `SELECT 'policy ' || polrelid::regclass::text || ' ' || polname || ' ' || polcmd::text || ' ' || coalesce(pg_get_expr(polqual, polrelid), '') FROM pg_policy`,
    `SELECT 'rule ' || pg_get_ruledef(oid) FROM pg_rewrite WHERE rulename <> '_RETURN' AND ${userSchema('ev_class::regclass::text')}`,
    `SELECT 'database setting ' || unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
      WHERE d.datname = current_database() AND s.setrole = 0`,
  ];
  const lines: string[] = [];
  for (const sql of queries) {
    const { rows } = await client.query<{ line: string }>(`SELECT line FROM (${sql}) AS described(line)`);
    for (const row of rows) lines.push(row.line);
  }
  return lines.sort();
}

/**
 * For each table: its name, row count and a hash of all its own rows in a stable order (ONLY: an
 * inheritance child's rows are its own line, and a foreign child's are not read at all).
 */
export async function describeData(client: pg.ClientBase): Promise<string[]> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e')
        AND (c.relkind = 'r' OR c.relispopulated)
      ORDER BY 1`,
  );
  const lines: string[] = [];
  for (const table of tables) {
    const { rows } = await client.query<{ rows: string; hash: string | null }>(
      `SELECT count(*)::text AS rows, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS hash FROM ONLY ${table.name} t`,
    );
    lines.push(`${table.name} rows=${rows[0]!.rows} hash=${rows[0]!.hash ?? '-'}`);
  }
  return lines;
}
