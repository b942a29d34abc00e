-- This database's subscriptions. Read only when the dump's role may read subconninfo (a
-- superuser: PostgreSQL grants every other column to PUBLIC, not that one), as pg_dump. Options a
-- later release added are read from the whole row (to_jsonb), so an older server simply has none.
SELECT s.oid::int AS oid, s.subname AS name, pg_catalog.pg_get_userbyid(s.subowner) AS owner, s.subconninfo AS conninfo,
       s.subslotname AS "slotName", s.subsynccommit AS "synchronousCommit", s.subpublications::text[] AS publications,
       s.subbinary AS binary,
       -- A boolean up to 15, a code from 16 ('f' off, 't' on, 'p' parallel).
       CASE (pg_catalog.to_jsonb(s) ->> 'substream') WHEN 'true' THEN 't' WHEN 'false' THEN 'f' ELSE pg_catalog.to_jsonb(s) ->> 'substream' END AS streaming,
       COALESCE(pg_catalog.to_jsonb(s) ->> 'subtwophasestate', 'd') <> 'd' AS "twoPhase",
       COALESCE((pg_catalog.to_jsonb(s) ->> 'subdisableonerr')::boolean, false) AS "disableOnError",
       COALESCE((pg_catalog.to_jsonb(s) ->> 'subpasswordrequired')::boolean, true) AS "passwordRequired",
       COALESCE((pg_catalog.to_jsonb(s) ->> 'subrunasowner')::boolean, false) AS "runAsOwner",
       COALESCE((pg_catalog.to_jsonb(s) ->> 'subfailover')::boolean, false) AS failover,
       COALESCE(pg_catalog.to_jsonb(s) ->> 'suborigin', 'any') AS origin,
       pg_catalog.obj_description(s.oid, 'pg_subscription') AS comment
  FROM pg_catalog.pg_subscription s
 WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
 ORDER BY s.subname COLLATE "C"
