-- Row level security policies; `roles` NULL means PUBLIC.
SELECT p.oid::int AS oid, p.polrelid::int AS relid, n.nspname AS schema, c.relname AS table, p.polname AS name,
       p.polpermissive AS permissive, p.polcmd AS command,
       CASE WHEN p.polroles = '{0}' THEN NULL ELSE
         (SELECT pg_catalog.array_agg(pg_catalog.quote_ident(r.rolname) ORDER BY r.rolname) FROM pg_catalog.pg_roles r WHERE r.oid = ANY (p.polroles)) END AS roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual, pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS "withCheck",
       pg_catalog.obj_description(p.oid, 'pg_policy') AS comment
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY n.nspname, c.relname, p.polname
