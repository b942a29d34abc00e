-- User casts (CREATE CAST): not built-in (OID below 16384), not an extension's, and not the range
-- to multirange casts CREATE TYPE ... AS RANGE makes itself (as pg_dump). Types by format_type
-- (schema-qualified on this session); the function by schema, name and argument types.
SELECT c.oid::int AS oid, pg_catalog.format_type(c.castsource, NULL) AS source, pg_catalog.format_type(c.casttarget, NULL) AS target,
       c.castmethod AS method, c.castcontext AS context,
       fn.nspname AS "functionSchema", f.proname AS "functionName", pg_catalog.oidvectortypes(f.proargtypes) AS "functionArgs",
       pg_catalog.obj_description(c.oid, 'pg_cast') AS comment,
       -- CREATE CAST accepts a function whose argument or result type only binary-coerces to the
       -- cast's types through another user cast WITHOUT FUNCTION: that one must exist first
       -- (pg_depend has no edge for it, and pg_dump's name order can put it after).
       ARRAY(SELECT b.oid::int FROM pg_catalog.pg_cast b
              WHERE b.castmethod = 'b' AND b.oid >= 16384 AND b.oid <> c.oid
                AND ((b.castsource = f.prorettype AND b.casttarget = c.casttarget AND f.prorettype <> c.casttarget)
                  OR (b.castsource = c.castsource AND b.casttarget = f.proargtypes[0] AND f.proargtypes[0] <> c.castsource))) AS "needsCasts"
  FROM pg_catalog.pg_cast c
  LEFT JOIN pg_catalog.pg_proc f ON f.oid = c.castfunc
  LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
 WHERE c.oid >= 16384
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_cast'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_range r WHERE r.rngtypid = c.castsource AND r.rngmultitypid = c.casttarget)
 ORDER BY pg_catalog.format_type(c.castsource, NULL) COLLATE "C", pg_catalog.format_type(c.casttarget, NULL) COLLATE "C"
