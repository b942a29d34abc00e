-- `ALTER DATABASE ... SET` settings for every role (setrole = 0): pg_dump without --create loses these.
SELECT pg_catalog.unnest(s.setconfig) AS setting
  FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
 WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0
