-- Types that stand for another in dependencies: an edge to an array type is an edge to its
-- element type, one to a multirange type an edge to its range type (CREATE TYPE ... AS RANGE makes both).
SELECT t.oid::int AS oid, t.typelem::int AS element FROM pg_catalog.pg_type t
 WHERE t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc AND t.oid >= 16384
UNION ALL
SELECT r.rngmultitypid::int, r.rngtypid::int FROM pg_catalog.pg_range r WHERE r.rngtypid >= 16384
