-- Extended statistics (CREATE STATISTICS). pg_get_statisticsobjdef writes the whole statement;
-- stxstattarget is -1 (up to 16) or NULL (17+) until ALTER STATISTICS ... SET STATISTICS sets it.
SELECT s.oid::int AS oid, n.nspname AS schema, s.stxname AS name, c.relname AS table,
       pg_catalog.pg_get_statisticsobjdef(s.oid) AS definition,
       CASE WHEN s.stxstattarget >= 0 THEN s.stxstattarget::int END AS "statTarget",
       pg_catalog.pg_get_userbyid(s.stxowner) AS owner,
       pg_catalog.obj_description(s.oid, 'pg_statistic_ext') AS comment
  FROM pg_catalog.pg_statistic_ext s
  JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
  JOIN pg_catalog.pg_class c ON c.oid = s.stxrelid
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_statistic_ext'::pg_catalog.regclass AND e.objid = s.oid AND e.deptype = 'e')
 ORDER BY n.nspname, s.stxname
