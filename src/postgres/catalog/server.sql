-- The server's version, the database's name and encoding, and whether this role may read
-- subscriptions' connection strings (only a superuser may).
SELECT pg_catalog.current_setting('server_version_num') AS num, pg_catalog.current_setting('server_version') AS version,
       pg_catalog.current_database() AS db, pg_catalog.pg_encoding_to_char(d.encoding) AS enc,
       pg_catalog.has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT') AS subscriptions
  FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
