-- User access methods (CREATE ACCESS METHOD): not built-in (OID below 16384), not an extension's
-- (bloom's, say); the handler by regproc (schema-qualified on this session).
SELECT a.oid::int AS oid, a.amname AS name, a.amtype AS type, a.amhandler::pg_catalog.regproc::text AS handler,
       pg_catalog.obj_description(a.oid, 'pg_am') AS comment
  FROM pg_catalog.pg_am a
 WHERE a.oid >= 16384
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_am'::pg_catalog.regclass AND e.objid = a.oid AND e.deptype = 'e')
 ORDER BY a.amname
