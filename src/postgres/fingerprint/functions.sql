-- Functions, procedures and aggregates of the user's schemas: the whole pg_proc row, types by
-- name, the argument list with defaults and the SQL-standard body rendered.
SELECT i.type, i.identity, 'pg_proc:' || p.oid AS key, ARRAY[]::text[] AS parents,
       (pg_catalog.to_jsonb(p) - ARRAY['oid', 'proname', 'pronamespace', 'proowner', 'prolang', 'provariadic', 'prosupport', 'prorettype',
                                        'proargtypes', 'proallargtypes', 'proargdefaults', 'protrftypes', 'prosqlbody', 'proacl'])
       || pg_catalog.jsonb_build_object(
            'prolang', (SELECT l.lanname FROM pg_catalog.pg_language l WHERE l.oid = p.prolang),
            'provariadic', CASE WHEN p.provariadic <> 0 THEN pg_catalog.format_type(p.provariadic, NULL) END,
            'prosupport', CASE WHEN p.prosupport <> 0 THEN p.prosupport::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'prorettype', pg_catalog.format_type(p.prorettype, NULL),
            'proargtypes', (SELECT pg_catalog.jsonb_agg(pg_catalog.format_type(k.typ, NULL) ORDER BY k.ord)
                              FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS k(typ, ord)),
            'proallargtypes', (SELECT pg_catalog.jsonb_agg(pg_catalog.format_type(k.typ, NULL) ORDER BY k.ord)
                                 FROM pg_catalog.unnest(p.proallargtypes) WITH ORDINALITY AS k(typ, ord)),
            'protrftypes', (SELECT pg_catalog.jsonb_agg(pg_catalog.format_type(k.typ, NULL) ORDER BY k.ord)
                              FROM pg_catalog.unnest(p.protrftypes) WITH ORDINALITY AS k(typ, ord)),
            'arguments', pg_catalog.pg_get_function_arguments(p.oid),
            'prosqlbody', CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid) END)
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object(
            'owner', pg_catalog.pg_get_userbyid(p.proowner),
            'acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(COALESCE(p.proacl, pg_catalog.acldefault('f'::"char", p.proowner))::text[]) AS item))
          ELSE '{}'::pg_catalog.jsonb END AS props
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
