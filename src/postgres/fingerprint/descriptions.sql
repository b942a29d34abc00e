-- Comments (COMMENT ON ...) on anything the user made, including a column, a constraint, the
-- index behind a constraint, a trigger, a policy or a domain constraint: a `comment` property of
-- the object they describe. Built-in objects' comments (OIDs below 16384, from initdb) are left
-- out except the public schema's, and so are extension members' (the extension writes them).
SELECT i.type,
       -- A transform is identified as in others.sql (pg_identify_object's spelling changed in 17).
       CASE WHEN d.classoid = 'pg_catalog.pg_transform'::pg_catalog.regclass
            THEN (SELECT 'for ' || pg_catalog.format_type(t.trftype, NULL) || ' language ' || pg_catalog.quote_ident(l.lanname)
                    FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang WHERE t.oid = d.objoid)
            ELSE i.identity END AS identity,
       pg_catalog.replace(d.classoid::pg_catalog.regclass::text, 'pg_catalog.', '') || ':' || d.objoid AS key, ARRAY[]::text[] AS parents,
       pg_catalog.jsonb_build_object('comment', d.description) AS props
  FROM pg_catalog.pg_description d
 CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classoid, d.objoid, d.objsubid) AS i
 WHERE (d.objoid >= 16384 OR (d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.objoid = 'public'::pg_catalog.regnamespace))
   AND i.schema IS DISTINCT FROM 'pg_toast'
   -- A comment left behind by an object that no longer exists (DROP SUBSCRIPTION leaves one) describes nothing.
   AND i.identity IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = d.classoid AND e.objid = d.objoid AND e.deptype = 'e')
