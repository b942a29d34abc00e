-- Relations (tables, views, materialized views, sequences, indexes, composite types, foreign tables):
-- the whole pg_class row, with pg_index, pg_sequence, pg_inherits, pg_partitioned_table, pg_foreign_table, the TOAST
-- table's reloptions and the view query folded in. Left out: oid, relfilenode and statistics
-- (relpages, reltuples, relallvisible, relallfrozen, relfrozenxid, relminmxid), relrewrite, relnatts
-- (counts dropped columns) and the "has or once had" flags (relhasindex, relhasrules,
-- relhastriggers, relhassubclass) that are only cleared lazily. Invalid plain indexes are left
-- out, as pg_dump leaves them out (a failed CREATE INDEX CONCURRENTLY).
SELECT i.type, i.identity, 'pg_class:' || c.oid AS key, ARRAY['pg_class:' || ix.indrelid] AS parents,
       (pg_catalog.to_jsonb(c) - ARRAY['oid', 'relname', 'relnamespace', 'reltype', 'reloftype', 'relowner', 'relam', 'relfilenode',
                                        'reltablespace', 'relpages', 'reltuples', 'relallvisible', 'relallfrozen', 'reltoastrelid',
                                        'relhasindex', 'relisshared', 'relnatts', 'relhasrules', 'relhastriggers', 'relhassubclass',
                                        'relrewrite', 'relfrozenxid', 'relminmxid', 'relacl', 'relpartbound'])
       || pg_catalog.jsonb_build_object(
            'reloftype', CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END,
            'relam', (SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = c.relam),
            'reltablespace', (SELECT ts.spcname FROM pg_catalog.pg_tablespace ts WHERE ts.oid = c.reltablespace),
            'relpartbound', pg_catalog.pg_get_expr(c.relpartbound, c.oid),
            'toast_reloptions', (SELECT t.reloptions FROM pg_catalog.pg_class t WHERE t.oid = c.reltoastrelid),
            'inherits', (SELECT pg_catalog.jsonb_agg(h.inhparent::pg_catalog.regclass::text ORDER BY h.inhseqno)
                           FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid),
            'partition_key', CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
            'default_partition', (SELECT p.partdefid::pg_catalog.regclass::text FROM pg_catalog.pg_partitioned_table p
                                   WHERE p.partrelid = c.oid AND p.partdefid <> 0),
            'view_definition', CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END,
            'foreign_table', (SELECT pg_catalog.jsonb_build_object('server', s.srvname, 'options', ft.ftoptions)
                                FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
                               WHERE ft.ftrelid = c.oid),
            'owned_by', (SELECT d.refobjid::pg_catalog.regclass::text || '.' || pg_catalog.quote_ident(a.attname) || ' (' || d.deptype::text || ')'
                           FROM pg_catalog.pg_depend d
                           JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                          WHERE c.relkind = 'S' AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                            AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')),
            'sequence', (SELECT pg_catalog.to_jsonb(s) - ARRAY['seqrelid', 'seqtypid']
                                || pg_catalog.jsonb_build_object('seqtypid', pg_catalog.format_type(s.seqtypid, NULL))
                           FROM pg_catalog.pg_sequence s WHERE s.seqrelid = c.oid),
            'index', (SELECT pg_catalog.to_jsonb(x) - ARRAY['indexrelid', 'indrelid', 'indkey', 'indcollation', 'indclass', 'indexprs', 'indpred',
                                                            'indcheckxmin', 'indisready', 'indislive']
                             || pg_catalog.jsonb_build_object(
                                  'indrelid', x.indrelid::pg_catalog.regclass::text,
                                  'indkey', (SELECT pg_catalog.jsonb_agg(a.attname ORDER BY k.ord)
                                               FROM pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(num, ord)
                                               LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.num),
                                  'indcollation', (SELECT pg_catalog.jsonb_agg(CASE WHEN k.coll = 0 THEN NULL
                                                          ELSE pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END ORDER BY k.ord)
                                                     FROM pg_catalog.unnest(x.indcollation::pg_catalog.oid[]) WITH ORDINALITY AS k(coll, ord)
                                                     LEFT JOIN pg_catalog.pg_collation co ON co.oid = k.coll
                                                     LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace),
                                  'indclass', (SELECT pg_catalog.jsonb_agg(pg_catalog.quote_ident(on_.nspname) || '.' || pg_catalog.quote_ident(oc.opcname) ORDER BY k.ord)
                                                 FROM pg_catalog.unnest(x.indclass::pg_catalog.oid[]) WITH ORDINALITY AS k(opc, ord)
                                                 JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opc
                                                 JOIN pg_catalog.pg_namespace on_ ON on_.oid = oc.opcnamespace),
                                  'indexprs', pg_catalog.pg_get_expr(x.indexprs, x.indrelid),
                                  'indpred', pg_catalog.pg_get_expr(x.indpred, x.indrelid),
                                  'definition', pg_catalog.pg_get_indexdef(x.indexrelid))
                        FROM pg_catalog.pg_index x WHERE x.indexrelid = c.oid))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object(
            'owner', pg_catalog.pg_get_userbyid(c.relowner),
            'acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item)
                      FROM pg_catalog.unnest(COALESCE(c.relacl, pg_catalog.acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner))::text[]) AS item))
          ELSE '{}'::pg_catalog.jsonb END AS props
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = c.oid
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 0) AS i
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c', 'i', 'I')
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = COALESCE(ix.indrelid, c.oid) AND e.deptype = 'e')
   AND (c.relkind <> 'i' OR ix.indisvalid)
