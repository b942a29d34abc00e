-- User schemas (not pg_*, information_schema or an extension's).
SELECT n.oid::int AS oid, n.nspname AS name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN n.nspacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(n.nspacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment
  FROM pg_catalog.pg_namespace n
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_namespace'::pg_catalog.regclass AND e.objid = n.oid AND e.deptype = 'e')
 ORDER BY n.nspname
