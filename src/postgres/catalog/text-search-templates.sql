-- Text search templates (CREATE TEXT SEARCH TEMPLATE): the functions by regproc (schema-qualified
-- on this session, as pg_dump writes them). A template has no owner.
SELECT t.oid::int AS oid, n.nspname AS schema, t.tmplname AS name,
       CASE WHEN t.tmplinit <> 0 THEN t.tmplinit::pg_catalog.regproc::text END AS init, t.tmpllexize::pg_catalog.regproc::text AS lexize,
       pg_catalog.obj_description(t.oid, 'pg_ts_template') AS comment
  FROM pg_catalog.pg_ts_template t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_ts_template'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
 ORDER BY n.nspname, t.tmplname
