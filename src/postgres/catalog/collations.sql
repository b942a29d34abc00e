-- Collations (CREATE COLLATION). Where the locale is kept changed between releases (14:
-- collcollate/collctype only, an ICU locale there too; 15-16: colliculocale; 17+: colllocale;
-- 16+: collicurules), so those columns are read through to_jsonb, where a column the release does
-- not have is simply absent (NULL).
SELECT co.oid::int AS oid, n.nspname AS schema, co.collname AS name, co.collprovider AS provider,
       co.collisdeterministic AS deterministic,
       pg_catalog.to_jsonb(co) ->> 'collcollate' AS "lcCollate", pg_catalog.to_jsonb(co) ->> 'collctype' AS "lcCtype",
       COALESCE(pg_catalog.to_jsonb(co) ->> 'colllocale', pg_catalog.to_jsonb(co) ->> 'colliculocale') AS locale,
       pg_catalog.to_jsonb(co) ->> 'collicurules' AS rules,
       pg_catalog.pg_get_userbyid(co.collowner) AS owner,
       pg_catalog.obj_description(co.oid, 'pg_collation') AS comment
  FROM pg_catalog.pg_collation co
  JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_collation'::pg_catalog.regclass AND e.objid = co.oid AND e.deptype = 'e')
 ORDER BY n.nspname, co.collname
