-- Rules other than a view's own _RETURN rule (that one is the view definition).
SELECT r.oid::int AS oid, r.ev_class::int AS relid, n.nspname AS schema, c.relname AS table, r.rulename AS name,
       pg_catalog.pg_get_ruledef(r.oid) AS definition, r.ev_enabled AS enabled, pg_catalog.obj_description(r.oid, 'pg_rewrite') AS comment
  FROM pg_catalog.pg_rewrite r
  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE r.rulename <> '_RETURN'
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY n.nspname, c.relname, r.rulename
