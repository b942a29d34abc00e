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
       pg_catalog.obj_description(p.oid, 'pg_proc') AS comment,
       -- PostgreSQL prints a SQL-standard body's reference to a parameter without a name as "" when
       -- another parameter has one (RETURNS TABLE columns count): the number ($n) of the only such
       -- input parameter, which every "" in the body stands for (two or more the inventory refuses).
       CASE WHEN p.prosqlbody IS NOT NULL THEN (
         SELECT CASE WHEN pg_catalog.count(*) = 1 THEN pg_catalog.min(a.number)::int END
           FROM (SELECT n.name, n.position, pg_catalog.count(*) FILTER (WHERE COALESCE(p.proargmodes[n.position], 'i') IN ('i', 'b', 'v'))
                          OVER (ORDER BY n.position) AS number
                   FROM pg_catalog.unnest(p.proargnames) WITH ORDINALITY AS n(name, position)) AS a
          WHERE a.name = '' AND COALESCE(p.proargmodes[a.position], 'i') IN ('i', 'b', 'v')) END AS "unnamedParameter"
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
   AND p.prokind IN ('f', 'p', 'w')
   -- A range's constructors come with CREATE TYPE (type-functions.sql).
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i WHERE i.classid = 'pg_proc'::pg_catalog.regclass AND i.objid = p.oid AND i.deptype = 'i')
 ORDER BY n.nspname, p.proname, 4
