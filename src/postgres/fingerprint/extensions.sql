-- Extensions (plpgsql included): version, schema, configuration tables.
SELECT i.type, i.identity, 'pg_extension:' || x.oid AS key, ARRAY[]::text[] AS parents,
       (pg_catalog.to_jsonb(x) - ARRAY['oid', 'extname', 'extowner', 'extnamespace', 'extconfig'])
       || pg_catalog.jsonb_build_object(
            'extnamespace', (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = x.extnamespace),
            'extconfig', (SELECT pg_catalog.jsonb_agg(k.rel::pg_catalog.regclass::text ORDER BY k.ord)
                            FROM pg_catalog.unnest(x.extconfig) WITH ORDINALITY AS k(rel, ord)))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(x.extowner)) ELSE '{}'::pg_catalog.jsonb END AS props
  FROM pg_catalog.pg_extension x
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_extension'::pg_catalog.regclass, x.oid, 0) AS i
