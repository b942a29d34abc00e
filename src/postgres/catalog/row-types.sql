-- Row types and their relations: an edge to a row type is an edge to its table, view or composite type.
SELECT t.oid::int AS oid, t.typrelid::int AS relid FROM pg_catalog.pg_type t WHERE t.typrelid <> 0 AND t.oid >= 16384
