-- Privileges changed on objects the dump does not create: built-in ones (OID below 16384: a
-- pg_catalog function, the plpgsql language, the public schema...) and extension members, plus
-- their columns. The baseline is what the object had when initdb or CREATE EXTENSION made it
-- (pg_init_privs), else the built-in default (acldefault); a NULL ACL means that default. The
-- public schema's baseline is 15's {owner=UC/owner,=U/owner} whatever the server (as pg_dump):
-- a 14 database's PUBLIC CREATE then travels as a GRANT, and a restore into 15+ keeps it. A dump of
-- 14 restores into 14 too, where PUBLIC starts with CREATE: there PUBLIC's baseline item is one no
-- ACL has (granted by OID 0), so PUBLIC's privileges are always revoked and granted as they are (a
-- 14 database's REVOKE CREATE ON SCHEMA public FROM PUBLIC equals 15's default, and was lost).
WITH objects AS (
  SELECT 'pg_proc' AS classid, p.oid, 0 AS subid, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS kind,
         pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS target,
         NULL::text AS "column", p.proacl AS acl, pg_catalog.acldefault('f', p.proowner) AS defaults, p.proowner AS owner,
         p.pronamespace AS namespace
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  UNION ALL
  SELECT 'pg_class', c.oid, 0, CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
         pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), NULL, c.relacl,
         pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner), c.relowner, c.relnamespace
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  UNION ALL
  SELECT 'pg_class', c.oid, a.attnum, 'TABLE', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), a.attname,
         a.attacl, NULL, c.relowner, c.relnamespace
    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  UNION ALL
  SELECT 'pg_type', t.oid, 0, 'TYPE', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname), NULL, t.typacl,
         pg_catalog.acldefault('T', t.typowner), t.typowner, t.typnamespace
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE NOT (t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc)
  UNION ALL
  SELECT 'pg_namespace', n.oid, 0, 'SCHEMA', pg_catalog.quote_ident(n.nspname), NULL, n.nspacl, pg_catalog.acldefault('n', n.nspowner), n.nspowner, n.oid
    FROM pg_catalog.pg_namespace n
  UNION ALL
  SELECT 'pg_language', l.oid, 0, 'LANGUAGE', pg_catalog.quote_ident(l.lanname), NULL, l.lanacl, pg_catalog.acldefault('l', l.lanowner), l.lanowner, 0
    FROM pg_catalog.pg_language l
  UNION ALL
  SELECT 'pg_foreign_data_wrapper', w.oid, 0, 'FOREIGN DATA WRAPPER', pg_catalog.quote_ident(w.fdwname), NULL, w.fdwacl,
         pg_catalog.acldefault('F', w.fdwowner), w.fdwowner, 0
    FROM pg_catalog.pg_foreign_data_wrapper w
  UNION ALL
  SELECT 'pg_foreign_server', s.oid, 0, 'FOREIGN SERVER', pg_catalog.quote_ident(s.srvname), NULL, s.srvacl,
         pg_catalog.acldefault('S', s.srvowner), s.srvowner, 0
    FROM pg_catalog.pg_foreign_server s
)
SELECT o.classid, o.oid::int AS oid, o.subid::int AS subid, o.kind, o.target, o."column", pg_catalog.pg_get_userbyid(o.owner) AS owner,
       COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(COALESCE(o.acl, o.defaults)) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') AS acl,
       COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(COALESCE(ip.initprivs, o.defaults)) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') AS baseline
  FROM objects o
  LEFT JOIN LATERAL (
    SELECT CASE WHEN o.classid = 'pg_namespace' AND o.target = 'public'
                THEN pg_catalog.acldefault('n', o.owner)
                     || pg_catalog.makeaclitem(0, CASE WHEN pg_catalog.current_setting('server_version_num')::integer >= 150000 THEN o.owner ELSE 0 END,
                                               'USAGE', false)
                ELSE (SELECT p.initprivs FROM pg_catalog.pg_init_privs p
                       WHERE p.classoid = o.classid::pg_catalog.regclass AND p.objoid = o.oid AND p.objsubid = o.subid) END AS initprivs
  ) ip ON true
 WHERE (o.oid < 16384 OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                                  WHERE e.classid = o.classid::pg_catalog.regclass AND e.objid = o.oid AND e.deptype = 'e'))
   AND COALESCE(o.acl, o.defaults) IS DISTINCT FROM COALESCE(ip.initprivs, o.defaults)
   -- information_schema is made after initdb records pg_init_privs, so its views' grants to PUBLIC
   -- always look changed; pg_dump leaves that schema out altogether, its privileges too.
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace x WHERE x.oid = o.namespace AND x.nspname = 'information_schema')
 ORDER BY o.classid, o.target, o.subid
