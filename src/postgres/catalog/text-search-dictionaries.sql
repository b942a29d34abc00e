-- Text search dictionaries (CREATE TEXT SEARCH DICTIONARY): the template, and the options as the
-- server keeps them (dictinitoption is already SQL: `language = 'english', stopwords = 'english'`).
SELECT d.oid::int AS oid, n.nspname AS schema, d.dictname AS name, tn.nspname AS "templateSchema", t.tmplname AS template,
       d.dictinitoption AS options, pg_catalog.pg_get_userbyid(d.dictowner) AS owner,
       pg_catalog.obj_description(d.oid, 'pg_ts_dict') AS comment
  FROM pg_catalog.pg_ts_dict d
  JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
  JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_ts_dict'::pg_catalog.regclass AND e.objid = d.oid AND e.deptype = 'e')
 ORDER BY n.nspname, d.dictname
