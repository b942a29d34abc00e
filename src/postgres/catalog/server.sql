-- The server's version and the database's name and encoding.
SELECT pg_catalog.current_setting('server_version_num') AS num, pg_catalog.current_setting('server_version') AS version,
       pg_catalog.current_database() AS db, pg_catalog.pg_encoding_to_char(d.encoding) AS enc
  FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
