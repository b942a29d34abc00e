-- Extension configuration tables and sequences (marked with pg_extension_config_dump). CREATE
-- EXTENSION recreates them with the rows its script inserts; the rows users added (those matching
-- the extension's condition, e.g. 'WHERE NOT builtin'; all rows when it is empty) and a sequence's
-- value are data pg_dump writes. `references`: the other configuration tables this one's foreign
-- keys point to (those keys come with CREATE EXTENSION, so they hold while the data loads).
-- Also read by verify on the restored database, by schema and name ($1, $2; NULL: all).
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       NULLIF(x.extcondition[k.ord], '') AS condition,
       COALESCE((SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''), '{}') AS columns,
       COALESCE((SELECT pg_catalog.array_agg(DISTINCT f.confrelid::int) FROM pg_catalog.pg_constraint f
                  WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid
                    AND f.confrelid = ANY (SELECT pg_catalog.unnest(e.extconfig) FROM pg_catalog.pg_extension e)), '{}') AS "references"
  FROM pg_catalog.pg_extension x
 CROSS JOIN LATERAL pg_catalog.unnest(x.extconfig) WITH ORDINALITY AS k(relid, ord)
  JOIN pg_catalog.pg_class c ON c.oid = k.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE x.oid >= 16384 AND c.relkind IN ('r', 'S')
   AND ($1::text IS NULL OR (n.nspname = $1 AND c.relname = $2))
 ORDER BY n.nspname, c.relname
