-- Foreign data wrappers (CREATE FOREIGN DATA WRAPPER): handler and validator by regproc
-- (schema-qualified on this session), options as (name, value) pairs in name order, privileges.
SELECT w.oid::int AS oid, w.fdwname AS name,
       CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::pg_catalog.regproc::text END AS handler,
       CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::pg_catalog.regproc::text END AS validator,
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(o.option_name, o.option_value) ORDER BY o.option_name)
          FROM pg_catalog.pg_options_to_table(w.fdwoptions) AS o) AS options,
       pg_catalog.pg_get_userbyid(w.fdwowner) AS owner,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN w.fdwacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(w.fdwacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       pg_catalog.obj_description(w.oid, 'pg_foreign_data_wrapper') AS comment
  FROM pg_catalog.pg_foreign_data_wrapper w
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_foreign_data_wrapper'::pg_catalog.regclass AND e.objid = w.oid AND e.deptype = 'e')
 ORDER BY w.fdwname
