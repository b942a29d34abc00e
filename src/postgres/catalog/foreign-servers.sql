-- Foreign servers (CREATE SERVER): type, version, wrapper, options as (name, value) pairs in name
-- order, privileges.
SELECT s.oid::int AS oid, s.srvname AS name, w.fdwname AS wrapper, s.srvtype AS type, s.srvversion AS version,
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(o.option_name, o.option_value) ORDER BY o.option_name)
          FROM pg_catalog.pg_options_to_table(s.srvoptions) AS o) AS options,
       pg_catalog.pg_get_userbyid(s.srvowner) AS owner,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN s.srvacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(s.srvacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       pg_catalog.obj_description(s.oid, 'pg_foreign_server') AS comment
  FROM pg_catalog.pg_foreign_server s
  JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_foreign_server'::pg_catalog.regclass AND e.objid = s.oid AND e.deptype = 'e')
 ORDER BY s.srvname
