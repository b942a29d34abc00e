-- The schemas of publications (ALTER PUBLICATION ... ADD TABLES IN SCHEMA): PostgreSQL 15+ only.
SELECT pn.oid::int AS oid, p.pubname AS publication, n.nspname AS schema
  FROM pg_catalog.pg_publication_namespace pn
  JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
  JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
 ORDER BY n.nspname, p.pubname
