-- User casts (CREATE CAST): not built-in (OID below 16384), not an extension's, and not the range
-- to multirange casts CREATE TYPE ... AS RANGE makes itself (as pg_dump). Types by format_type
-- (schema-qualified on this session); the function by schema, name and argument types.
SELECT c.oid::int AS oid, pg_catalog.format_type(c.castsource, NULL) AS source, pg_catalog.format_type(c.casttarget, NULL) AS target,
       c.castmethod AS method, c.castcontext AS context,
       fn.nspname AS "functionSchema", f.proname AS "functionName", pg_catalog.oidvectortypes(f.proargtypes) AS "functionArgs",
       pg_catalog.obj_description(c.oid, 'pg_cast') AS comment
  FROM pg_catalog.pg_cast c
  LEFT JOIN pg_catalog.pg_proc f ON f.oid = c.castfunc
  LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
 WHERE c.oid >= 16384
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_cast'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_range r WHERE r.rngtypid = c.castsource AND r.rngmultitypid = c.casttarget)
 ORDER BY pg_catalog.format_type(c.castsource, NULL) COLLATE "C", pg_catalog.format_type(c.casttarget, NULL) COLLATE "C"
