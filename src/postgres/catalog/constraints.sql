-- Table constraints, except NOT NULL rows (18+: contype 'n'), which are column properties here
-- (columns.sql), partition clones of foreign keys (the parent's ALTER TABLE without ONLY makes
-- them again), and constraint triggers (contype 't': the trigger is the object, written as CREATE
-- CONSTRAINT TRIGGER by pg_get_triggerdef). A partition's PRIMARY KEY / UNIQUE / EXCLUDE is kept,
-- as pg_dump keeps it: the parent's is added with ONLY and each partition's is attached to it.
-- `index`: the backing index's properties that pg_get_constraintdef leaves out (PK / UNIQUE /
-- EXCLUDE); `parentIndex`: the partitioned index a partition's backing index is attached to.
SELECT co.oid::int AS oid, co.conrelid::int AS relid, co.contypid::int AS typid, n.nspname AS schema, c.relname AS table,
       co.conname AS name, co.contype AS type, pg_catalog.pg_get_constraintdef(co.oid) AS definition,
       co.convalidated AS validated, co.conislocal AS "isLocal", co.coninhcount::int AS "inheritCount", co.conindid::int AS "indexId",
       pg_catalog.obj_description(co.oid, 'pg_constraint') AS comment, c.relkind = 'p' AS "partitionedTable",
       (SELECT pi.inhparent::int FROM pg_catalog.pg_inherits pi WHERE co.contype IN ('p', 'u', 'x') AND pi.inhrelid = co.conindid) AS "parentIndex",
       -- An EXCLUDE constraint or (18) a PRIMARY KEY / UNIQUE ... WITHOUT OVERLAPS: its index compares
       -- with exclusion operators; and the key of the parent partitioned table it belongs to.
       co.conexclop IS NOT NULL AS "exclusionIndex",
       -- 18: NOT ENFORCED (conenforced; always enforced before).
       COALESCE((pg_catalog.to_jsonb(co) ->> 'conenforced')::boolean, true) AS enforced,
       (SELECT pg_catalog.json_build_object('oid', p.oid::int, 'schema', pn.nspname, 'table', pc.relname, 'name', p.conname)
          FROM pg_catalog.pg_constraint p JOIN pg_catalog.pg_class pc ON pc.oid = p.conrelid JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE co.contype IN ('p', 'u', 'x') AND p.oid = co.conparentid) AS "parentKey",
       CASE WHEN co.contype IN ('p', 'u', 'x') THEN (
         SELECT pg_catalog.row_to_json(backing) FROM (
           SELECT ic.relname AS name, pg_catalog.obj_description(ic.oid, 'pg_class') AS comment, ic.reloptions AS options,
                  (SELECT ts.spcname FROM pg_catalog.pg_tablespace ts WHERE ts.oid = ic.reltablespace) AS tablespace,
                  i.indisclustered AS clustered, i.indisreplident AS replident,
                  (SELECT pg_catalog.json_agg(pg_catalog.json_build_object('num', ia.attnum, 'target', ia.attstattarget) ORDER BY ia.attnum)
                     FROM pg_catalog.pg_attribute ia WHERE ia.attrelid = i.indexrelid AND ia.attstattarget >= 0) AS statistics
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indexrelid = co.conindid) AS backing) END AS index
  FROM pg_catalog.pg_constraint co
  JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
   AND (co.conparentid = 0 OR co.contype IN ('p', 'u', 'x')) AND co.contype NOT IN ('t', 'n')
 ORDER BY n.nspname, c.relname, co.conname
