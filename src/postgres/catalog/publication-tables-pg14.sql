-- The tables of publications on PostgreSQL 14, which has no column lists or row filters
-- (publication-tables.sql is the query for 15+).
SELECT pr.oid::int AS oid, p.pubname AS publication, n.nspname AS schema, c.relname AS table,
       NULL::text[] AS columns, NULL::text AS "rowFilter"
  FROM pg_catalog.pg_publication_rel pr
  JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
  JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 ORDER BY n.nspname, c.relname, p.pubname
