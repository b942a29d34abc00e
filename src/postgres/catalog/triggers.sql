-- User triggers (not internal ones), and the clones on partitions whose enabled state differs from
-- their parent trigger's (`parentTrigger`): only that state is theirs to write, as pg_dump does.
-- Up to PostgreSQL 14 a clone is marked internal; the internal triggers of foreign keys (which have
-- a constraint) are not clones of anything a user wrote.
SELECT t.oid::int AS oid, t.tgrelid::int AS relid, n.nspname AS schema, c.relname AS table, t.tgname AS name,
       pg_catalog.pg_get_triggerdef(t.oid, false) AS definition, t.tgenabled AS enabled,
       NULLIF(t.tgparentid, 0)::int AS "parentTrigger",
       pg_catalog.obj_description(t.oid, 'pg_trigger') AS comment
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE (NOT t.tgisinternal OR (t.tgparentid <> 0 AND t.tgconstraint = 0))
   AND (t.tgparentid = 0 OR t.tgenabled <> (SELECT p.tgenabled FROM pg_catalog.pg_trigger p WHERE p.oid = t.tgparentid))
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY n.nspname, c.relname, t.tgname
