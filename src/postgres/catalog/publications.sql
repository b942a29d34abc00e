-- Publications (CREATE PUBLICATION): what they publish; publish_generated_columns (18+,
-- pubgencols 's' = stored) is read through to_jsonb, absent before 18.
SELECT p.oid::int AS oid, p.pubname AS name, p.puballtables AS "allTables", p.pubinsert AS insert, p.pubupdate AS update,
       p.pubdelete AS delete, p.pubtruncate AS truncate, p.pubviaroot AS "viaRoot",
       pg_catalog.to_jsonb(p) ->> 'pubgencols' AS "generatedColumns",
       pg_catalog.pg_get_userbyid(p.pubowner) AS owner,
       pg_catalog.obj_description(p.oid, 'pg_publication') AS comment
  FROM pg_catalog.pg_publication p
 ORDER BY p.pubname
