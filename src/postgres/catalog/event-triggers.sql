-- Event triggers (CREATE EVENT TRIGGER): the tags as SQL literals, the function by regproc
-- (schema-qualified on this session), evtenabled 'O' (on), 'D', 'R' or 'A'.
SELECT t.oid::int AS oid, t.evtname AS name, t.evtevent AS event,
       CASE WHEN t.evttags IS NOT NULL THEN
         pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_literal(tag) FROM pg_catalog.unnest(t.evttags) AS tag), ', ') END AS tags,
       t.evtfoid::pg_catalog.regproc::text AS function, t.evtenabled AS enabled,
       pg_catalog.pg_get_userbyid(t.evtowner) AS owner,
       pg_catalog.obj_description(t.oid, 'pg_event_trigger') AS comment
  FROM pg_catalog.pg_event_trigger t
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_event_trigger'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
 ORDER BY t.evtname
