-- Triggers (including constraint triggers and the clones on partitions, which up to PostgreSQL 14
-- are marked internal), but not the internal ones that enforce foreign keys (they belong to the FK
-- constraint). tgqual is only readable
-- through pg_get_triggerdef, which renders the whole trigger.
SELECT i.type, i.identity, 'pg_trigger:' || t.oid AS key, ARRAY['pg_class:' || t.tgrelid, 'pg_proc:' || t.tgfoid] AS parents,
       (pg_catalog.to_jsonb(t) - ARRAY['oid', 'tgrelid', 'tgparentid', 'tgname', 'tgfoid', 'tgconstrrelid', 'tgconstrindid', 'tgconstraint',
                                        'tgattr', 'tgqual'])
       || pg_catalog.jsonb_build_object(
            'tgfoid', t.tgfoid::pg_catalog.regprocedure::text,
            'tgparentid', t.tgparentid <> 0,
            'tgconstrrelid', CASE WHEN t.tgconstrrelid <> 0 THEN t.tgconstrrelid::pg_catalog.regclass::text END,
            'tgconstrindid', CASE WHEN t.tgconstrindid <> 0 THEN t.tgconstrindid::pg_catalog.regclass::text END,
            'tgconstraint', (SELECT co.conname FROM pg_catalog.pg_constraint co WHERE co.oid = t.tgconstraint),
            'tgattr', (SELECT pg_catalog.jsonb_agg(a.attname ORDER BY k.ord) FROM pg_catalog.unnest(t.tgattr::pg_catalog.int2[]) WITH ORDINALITY AS k(num, ord)
                         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.num),
            'definition', pg_catalog.pg_get_triggerdef(t.oid)) AS props
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_trigger'::pg_catalog.regclass, t.oid, 0) AS i
 WHERE (NOT t.tgisinternal OR (t.tgparentid <> 0 AND t.tgconstraint = 0))
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
