-- Transforms (CREATE TRANSFORM FOR type LANGUAGE lang): not an extension's (hstore_plperl's, say).
-- The type by format_type (schema-qualified on this session), the functions always qualified, as pg_dump.
SELECT t.oid::int AS oid, pg_catalog.format_type(t.trftype, NULL) AS type, l.lanname AS language,
       (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')'
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = t.trffromsql) AS "fromSql",
       (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')'
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = t.trftosql) AS "toSql",
       pg_catalog.obj_description(t.oid, 'pg_transform') AS comment
  FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_transform'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
 ORDER BY pg_catalog.format_type(t.trftype, NULL) COLLATE "C", l.lanname COLLATE "C"
