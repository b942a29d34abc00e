-- Every dependency edge between user objects, as (catalog, oid) pairs; column-level detail is
-- dropped as in pg_dump.
SELECT DISTINCT d.classid::regclass::text AS classid, d.objid::int AS objid, d.refclassid::regclass::text AS refclassid,
       d.refobjid::int AS refobjid, d.deptype
  FROM pg_catalog.pg_depend d
 WHERE d.deptype NOT IN ('p', 'e') AND d.objid >= 16384 AND d.refobjid >= 16384
