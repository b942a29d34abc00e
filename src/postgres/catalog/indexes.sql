-- Indexes that do not back a constraint and are valid (a failed CREATE INDEX CONCURRENTLY leaves an
-- invalid one), with what their definition leaves out: storage parameters, tablespace, CLUSTER,
-- REPLICA IDENTITY, expression columns' statistics targets.
SELECT i.indexrelid::int AS oid, i.indrelid::int AS relid, n.nspname AS schema, ic.relname AS name, tc.relname AS table,
       pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
       pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment, ic.reloptions AS options,
       (SELECT ts.spcname FROM pg_catalog.pg_tablespace ts WHERE ts.oid = ic.reltablespace) AS tablespace,
       i.indisclustered AS clustered, i.indisreplident AS replident,
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_object('num', ia.attnum, 'target', ia.attstattarget) ORDER BY ia.attnum)
          FROM pg_catalog.pg_attribute ia WHERE ia.attrelid = i.indexrelid AND ia.attstattarget >= 0) AS statistics,
       (SELECT inhparent::int FROM pg_catalog.pg_inherits WHERE inhrelid = i.indexrelid) AS "parentIndex"
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_class'::pg_catalog.regclass AND e.objid = tc.oid AND e.deptype = 'e')
   AND (i.indisvalid OR tc.relkind = 'p') AND i.indisready
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid AND co.contype IN ('p', 'u', 'x'))
 ORDER BY n.nspname, ic.relname
