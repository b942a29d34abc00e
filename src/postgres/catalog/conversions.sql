-- Encoding conversions (CREATE CONVERSION): the encodings by name, the function by regproc
-- (schema-qualified on this session, as pg_dump writes it).
SELECT c.oid::int AS oid, n.nspname AS schema, c.conname AS name, c.condefault AS "isDefault",
       pg_catalog.pg_encoding_to_char(c.conforencoding) AS "from", pg_catalog.pg_encoding_to_char(c.contoencoding) AS "to",
       c.conproc::pg_catalog.regproc::text AS function, pg_catalog.pg_get_userbyid(c.conowner) AS owner,
       pg_catalog.obj_description(c.oid, 'pg_conversion') AS comment
  FROM pg_catalog.pg_conversion c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_conversion'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY n.nspname, c.conname
