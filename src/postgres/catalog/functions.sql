-- Functions and procedures. pg_get_functiondef deparses SQL-standard bodies (RETURN / BEGIN ATOMIC)
-- with every name qualified.
SELECT p.oid::int AS oid, n.nspname AS schema, p.proname AS name, p.prokind AS kind,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS "identityArgs", pg_catalog.pg_get_functiondef(p.oid) AS definition,
       pg_catalog.pg_get_userbyid(p.proowner) AS owner,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN p.proacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(p.proacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       pg_catalog.obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
   AND p.prokind IN ('f', 'p', 'w')
   -- A range's constructors come with CREATE TYPE (type-functions.sql).
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = 'pg_proc'::pg_catalog.regclass AND i.objid = p.oid AND i.deptype = 'i')
 ORDER BY n.nspname, p.proname, 4
