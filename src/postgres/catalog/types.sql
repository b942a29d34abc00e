-- Enum, domain and composite types, with what each kind needs (labels; base type, default, collation
-- and CHECKs; attributes).
SELECT t.oid::int AS oid, n.nspname AS schema, t.typname AS name, t.typtype, pg_catalog.pg_get_userbyid(t.typowner) AS owner,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN t.typacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(t.typacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       pg_catalog.obj_description(t.oid, 'pg_type') AS comment,
       (SELECT pg_catalog.array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels,
       CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS basetype,
       t.typnotnull AS notnull, t.typdefault AS defaultexpr,
       CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation
            THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
       t.typrelid::int AS relid,
       CASE WHEN t.typtype = 'c' THEN (
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                  'collation', CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0
                                    THEN pg_catalog.quote_ident(acn.nspname) || '.' || pg_catalog.quote_ident(aco.collname) END,
                  'comment', pg_catalog.col_description(a.attrelid, a.attnum)) ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
           LEFT JOIN pg_catalog.pg_collation aco ON aco.oid = a.attcollation LEFT JOIN pg_catalog.pg_namespace acn ON acn.oid = aco.collnamespace
          WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END AS attributes,
       CASE WHEN t.typtype = 'd' THEN (
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('oid', c.oid::int, 'name', c.conname, 'def', pg_catalog.pg_get_constraintdef(c.oid),
                  'validated', c.convalidated, 'comment', pg_catalog.obj_description(c.oid, 'pg_constraint')) ORDER BY c.conname)
           FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') END AS domainchecks
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_type'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
   AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c'))
 ORDER BY n.nspname, t.typname
