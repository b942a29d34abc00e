-- Text search parsers (CREATE TEXT SEARCH PARSER): the functions by regproc (schema-qualified on
-- this session, as pg_dump writes them). A parser has no owner.
SELECT p.oid::int AS oid, n.nspname AS schema, p.prsname AS name, p.prsstart::pg_catalog.regproc::text AS start,
       p.prstoken::pg_catalog.regproc::text AS "getToken", p.prsend::pg_catalog.regproc::text AS "end",
       CASE WHEN p.prsheadline <> 0 THEN p.prsheadline::pg_catalog.regproc::text END AS headline,
       p.prslextype::pg_catalog.regproc::text AS "lexTypes", pg_catalog.obj_description(p.oid, 'pg_ts_parser') AS comment
  FROM pg_catalog.pg_ts_parser p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_ts_parser'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
 ORDER BY n.nspname, p.prsname
