-- Columns of every relation in classes.sql (table, view, index, composite type columns): the whole
-- pg_attribute row with its default (pg_attrdef). Compared by name, never by attnum, which a
-- dropped column shifts; `position` keeps the column order. Left out: attcacheoff, atthasmissing
-- and attmissingval (whether a default was added before or after the rows), and attndims, which
-- PostgreSQL does not enforce and pg_dump cannot carry (an int[][] column restores as int[]).
SELECT i.type, i.identity, NULL AS key, ARRAY['pg_class:' || a.attrelid, 'pg_class:' || ix.indrelid] AS parents,
       (pg_catalog.to_jsonb(a) - ARRAY['attrelid', 'attname', 'atttypid', 'attnum', 'attndims', 'attcacheoff', 'atthasmissing',
                                        'attmissingval', 'attcollation', 'attacl', 'attisdropped'])
       || pg_catalog.jsonb_build_object(
            'atttypid', pg_catalog.format_type(a.atttypid, a.atttypmod),
            'position', pg_catalog.row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
            'attcollation', (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                               FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                              WHERE co.oid = a.attcollation),
            'default', (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
                         WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object(
            'acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(a.attacl::text[]) AS item))
          ELSE '{}'::pg_catalog.jsonb END AS props
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = c.oid
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_class'::pg_catalog.regclass, a.attrelid, a.attnum) AS i
 WHERE a.attnum > 0 AND NOT a.attisdropped
   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c', 'i', 'I')
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = COALESCE(ix.indrelid, c.oid) AND e.deptype = 'e')
   AND (c.relkind <> 'i' OR ix.indisvalid)
