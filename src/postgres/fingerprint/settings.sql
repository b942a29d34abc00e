-- ALTER DATABASE ... SET of the dumped database (for every role): a restore must carry them
-- (Immich sets vchordrq.probes and, in older versions, search_path there).
SELECT 'database settings' AS type, 'current database' AS identity, NULL AS key, ARRAY[]::text[] AS parents,
       pg_catalog.jsonb_build_object('setconfig', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(s.setconfig) AS item)) AS props
  FROM pg_catalog.pg_db_role_setting s
 WHERE s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()) AND s.setrole = 0
