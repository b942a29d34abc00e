-- Schemas of the user (public included); their comments come from descriptions.sql.
SELECT i.type, i.identity, 'pg_namespace:' || n.oid AS key, ARRAY[]::text[] AS parents,
       (pg_catalog.to_jsonb(n) - ARRAY['oid', 'nspname', 'nspowner', 'nspacl'])
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object(
            'owner', pg_catalog.pg_get_userbyid(n.nspowner),
            'acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(COALESCE(n.nspacl, pg_catalog.acldefault('n'::"char", n.nspowner))::text[]) AS item))
          ELSE '{}'::pg_catalog.jsonb END AS props
  FROM pg_catalog.pg_namespace n
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND e.objid = n.oid AND e.deptype = 'e')
