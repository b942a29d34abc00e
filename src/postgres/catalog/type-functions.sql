-- Functions that are part of a type (pg_depend 'i': a range's and its multirange's constructors),
-- created by CREATE TYPE with it: not written, and an edge to one is an edge to its type.
SELECT d.objid::int AS oid, d.refobjid::int AS type
  FROM pg_catalog.pg_depend d
 WHERE d.classid = 'pg_proc'::pg_catalog.regclass AND d.refclassid = 'pg_type'::pg_catalog.regclass AND d.deptype = 'i'
   AND d.objid >= 16384
