-- Types of the user's schemas (enums with their labels in order, domains, composite and range
-- types, base types): the whole pg_type row with pg_enum and pg_range folded in. Left out: the
-- row types of tables and views and the array types PostgreSQL creates by itself (they come with
-- their table or element type), and enumsortorder values (ALTER TYPE ... ADD VALUE BEFORE makes
-- fractions that a restore renumbers: only the order of the labels counts).
SELECT i.type, i.identity, 'pg_type:' || t.oid AS key,
       -- A multirange type comes with its range type.
       ARRAY(SELECT 'pg_type:' || r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid) AS parents,
       (pg_catalog.to_jsonb(t) - ARRAY['oid', 'typname', 'typnamespace', 'typowner', 'typrelid', 'typsubscript', 'typelem', 'typarray',
                                        'typinput', 'typoutput', 'typreceive', 'typsend', 'typmodin', 'typmodout', 'typanalyze',
                                        'typbasetype', 'typcollation', 'typdefaultbin', 'typacl'])
       || pg_catalog.jsonb_build_object(
            'typsubscript', CASE WHEN t.typsubscript <> 0 THEN t.typsubscript::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'typinput', CASE WHEN t.typinput <> 0 THEN t.typinput::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'typoutput', CASE WHEN t.typoutput <> 0 THEN t.typoutput::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'typreceive', CASE WHEN t.typreceive <> 0 THEN t.typreceive::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'typsend', CASE WHEN t.typsend <> 0 THEN t.typsend::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'typmodin', CASE WHEN t.typmodin <> 0 THEN t.typmodin::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'typmodout', CASE WHEN t.typmodout <> 0 THEN t.typmodout::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'typanalyze', CASE WHEN t.typanalyze <> 0 THEN t.typanalyze::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'typelem', CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END,
            'typarray', CASE WHEN t.typarray <> 0 THEN pg_catalog.format_type(t.typarray, NULL) END,
            'typbasetype', CASE WHEN t.typbasetype <> 0 THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END,
            'typcollation', (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                               FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                              WHERE co.oid = t.typcollation),
            'enum_labels', (SELECT pg_catalog.jsonb_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid),
            'range', (SELECT pg_catalog.jsonb_build_object(
                               'rngsubtype', pg_catalog.format_type(r.rngsubtype, NULL),
                               'rngmultitypid', pg_catalog.format_type(r.rngmultitypid, NULL),
                               'rngcollation', (SELECT pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_collation co WHERE co.oid = r.rngcollation),
                               'rngsubopc', (SELECT pg_catalog.quote_ident(oc.opcname) FROM pg_catalog.pg_opclass oc WHERE oc.oid = r.rngsubopc),
                               'rngcanonical', CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::pg_catalog.oid::pg_catalog.regprocedure::text END,
                               'rngsubdiff', CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::pg_catalog.oid::pg_catalog.regprocedure::text END)
                        FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object(
            'owner', pg_catalog.pg_get_userbyid(t.typowner),
            'acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(COALESCE(t.typacl, pg_catalog.acldefault('T'::"char", t.typowner))::text[]) AS item))
          ELSE '{}'::pg_catalog.jsonb END AS props
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
