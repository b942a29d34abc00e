-- Text search configurations (CREATE TEXT SEARCH CONFIGURATION + one ADD MAPPING per token type):
-- each token type by its parser's alias, with its dictionaries in mapseqno order, named by
-- regdictionary (schema-qualified outside pg_catalog on this session).
SELECT c.oid::int AS oid, n.nspname AS schema, c.cfgname AS name, pn.nspname AS "parserSchema", p.prsname AS parser,
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_object('token', m.token, 'dictionaries', m.dictionaries) ORDER BY m.tokentype)
          FROM (SELECT cm.maptokentype AS tokentype,
                       (SELECT t.alias FROM pg_catalog.ts_token_type(c.cfgparser) AS t WHERE t.tokid = cm.maptokentype) AS token,
                       pg_catalog.array_agg(cm.mapdict::pg_catalog.regdictionary::text ORDER BY cm.mapseqno) AS dictionaries
                  FROM pg_catalog.pg_ts_config_map cm WHERE cm.mapcfg = c.oid GROUP BY cm.maptokentype) AS m) AS mappings,
       pg_catalog.pg_get_userbyid(c.cfgowner) AS owner,
       pg_catalog.obj_description(c.oid, 'pg_ts_config') AS comment
  FROM pg_catalog.pg_ts_config c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
  JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser
  JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_ts_config'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY n.nspname, c.cfgname
