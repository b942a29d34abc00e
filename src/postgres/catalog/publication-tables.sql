-- The tables of publications (ALTER PUBLICATION ... ADD TABLE ONLY), with the column list and
-- row filter PostgreSQL 15 added (publication-tables-pg14.sql is this query without them).
SELECT pr.oid::int AS oid, p.pubname AS publication, n.nspname AS schema, c.relname AS table,
       CASE WHEN pr.prattrs IS NOT NULL THEN
         (SELECT pg_catalog.array_agg(a.attname::text ORDER BY s.position)
            FROM pg_catalog.unnest(pr.prattrs::pg_catalog.int2[]) WITH ORDINALITY AS s(attnum, position)
            JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = s.attnum) END AS columns,
       pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS "rowFilter"
  FROM pg_catalog.pg_publication_rel pr
  JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
  JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 ORDER BY n.nspname, c.relname, p.pubname
