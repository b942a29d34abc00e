-- Array types and their element types: an edge to an array type is an edge to its element type.
SELECT t.oid::int AS oid, t.typelem::int AS element FROM pg_catalog.pg_type t
 WHERE t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc AND t.oid >= 16384
