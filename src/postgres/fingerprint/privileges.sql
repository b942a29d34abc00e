-- Only when the dump keeps privileges (--owner): ALTER DEFAULT PRIVILEGES, and grants on built-in
-- and extension objects that differ from their initial ones (pg_init_privs: initdb's, or the
-- extension script's), e.g. REVOKE ALL ON LANGUAGE plpgsql FROM PUBLIC, a GRANT on a pg_catalog
-- function, a REVOKE on an extension's function. Such objects are not otherwise described.
SELECT i.type, i.identity, 'pg_default_acl:' || da.oid AS key, ARRAY[]::text[] AS parents,
       pg_catalog.jsonb_build_object('acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(da.defaclacl::text[]) AS item)) AS props
  FROM pg_catalog.pg_default_acl da
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_default_acl'::pg_catalog.regclass, da.oid, 0) AS i
 WHERE $1
UNION ALL
SELECT i.type, i.identity, NULL, ARRAY[]::text[], pg_catalog.jsonb_build_object('acl', b.acl)
  FROM (SELECT x.classoid, x.oid, x.subid,
               -- No ACL means the default one: an explicit copy of the default (left by GRANT then REVOKE) is the same privileges.
               (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(COALESCE(x.acl, pg_catalog.acldefault(x.kind, x.owner))::text[]) AS item) AS acl,
               (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(COALESCE(ip.initprivs, pg_catalog.acldefault(x.kind, x.owner))::text[]) AS item) AS initial
          FROM (SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classoid, c.oid, 0 AS subid, c.relacl AS acl, c.relowner AS owner,
                       (CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char" AS kind, c.relnamespace AS ns
                  FROM pg_catalog.pg_class c
                 WHERE (c.oid < 16384 OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e'))
                UNION ALL
                SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, a.attrelid, a.attnum, a.attacl, c.relowner, 'c'::"char", c.relnamespace
                  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                 WHERE a.attnum > 0 AND (a.attrelid < 16384 OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = a.attrelid AND e.deptype = 'e'))
                UNION ALL
                SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0, p.proacl, p.proowner, 'f'::"char", p.pronamespace
                  FROM pg_catalog.pg_proc p
                 WHERE (p.oid < 16384 OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e'))
                UNION ALL
                SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0, t.typacl, t.typowner, 'T'::"char", t.typnamespace
                  FROM pg_catalog.pg_type t
                 WHERE (t.oid < 16384 OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e'))
                UNION ALL
                SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid, 0, n.nspacl, n.nspowner, 'n'::"char", n.oid
                  FROM pg_catalog.pg_namespace n WHERE n.oid < 16384 AND n.nspname <> 'public'
                UNION ALL
                SELECT 'pg_catalog.pg_language'::pg_catalog.regclass, l.oid, 0, l.lanacl, l.lanowner, 'l'::"char", NULL
                  FROM pg_catalog.pg_language l
                 WHERE (l.oid < 16384 OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_language'::pg_catalog.regclass AND e.objid = l.oid AND e.deptype = 'e'))) AS x
          LEFT JOIN pg_catalog.pg_init_privs ip ON ip.classoid = x.classoid AND ip.objoid = x.oid AND ip.objsubid = x.subid
         WHERE $1
           -- information_schema is created after initdb records its privileges: the same in every database, never dumped.
           AND x.ns IS DISTINCT FROM (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = 'information_schema')) AS b
 CROSS JOIN LATERAL pg_catalog.pg_identify_object(b.classoid, b.oid, b.subid) AS i
 WHERE b.acl IS DISTINCT FROM b.initial
