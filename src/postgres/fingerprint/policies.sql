-- Row-level security policies: roles by name (0 is PUBLIC), expressions rendered.
SELECT i.type, i.identity, 'pg_policy:' || p.oid AS key, ARRAY['pg_class:' || p.polrelid] AS parents,
       (pg_catalog.to_jsonb(p) - ARRAY['oid', 'polname', 'polrelid', 'polroles', 'polqual', 'polwithcheck'])
       || pg_catalog.jsonb_build_object(
            'polroles', (SELECT pg_catalog.jsonb_agg(CASE WHEN r.role = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(r.role) END ORDER BY 1)
                           FROM pg_catalog.unnest(p.polroles) AS r(role)),
            'polqual', pg_catalog.pg_get_expr(p.polqual, p.polrelid),
            'polwithcheck', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)) AS props
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_policy'::pg_catalog.regclass, p.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
