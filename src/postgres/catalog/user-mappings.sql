-- User mappings (CREATE USER MAPPING) of the servers dumped, from pg_user_mappings: their options
-- (often a password) show only to a superuser, the mapped user or the server's owner, as for
-- pg_dump. `role` is 'public' for the mapping FOR PUBLIC.
SELECT m.umid::int AS oid, m.srvname AS server, m.usename AS role,
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(o.option_name, o.option_value) ORDER BY o.option_name)
          FROM pg_catalog.pg_options_to_table(m.umoptions) AS o) AS options
  FROM pg_catalog.pg_user_mappings m
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_foreign_server'::pg_catalog.regclass AND e.objid = m.srvid AND e.deptype = 'e')
 ORDER BY m.srvname, m.usename
