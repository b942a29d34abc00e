-- Enum, domain, composite, range and base types, and shell types never defined (CREATE TYPE t;),
-- with what each kind needs (labels; base type, default, collation and CHECKs; attributes; a
-- range's subtype, multirange name, operator class when not the subtype's default, collation,
-- canonical and subtype_diff functions; a base type's functions by regproc, schema-qualified on
-- this session, and its other properties as pg_dump reads them).
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
           FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') END AS domainchecks,
       (SELECT pg_catalog.json_build_object('name', c.conname, 'comment', pg_catalog.obj_description(c.oid, 'pg_constraint'))
          FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'n') AS notnullconstraint,
       (SELECT pg_catalog.json_build_object('subtype', pg_catalog.format_type(r.rngsubtype, NULL),
                 'multirange', pg_catalog.json_build_array(mn.nspname, mt.typname),
                 'opclass', CASE WHEN NOT oc.opcdefault THEN pg_catalog.json_build_array(ocn.nspname, oc.opcname) END,
                 'collation', CASE WHEN r.rngcollation <> 0 THEN pg_catalog.json_build_array(rcn.nspname, rco.collname) END,
                 'canonical', CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::pg_catalog.regproc::text END,
                 'subtypeDiff', CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::pg_catalog.regproc::text END)
          FROM pg_catalog.pg_range r
          JOIN pg_catalog.pg_type mt ON mt.oid = r.rngmultitypid JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace
          JOIN pg_catalog.pg_opclass oc ON oc.oid = r.rngsubopc JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
          LEFT JOIN pg_catalog.pg_collation rco ON rco.oid = r.rngcollation LEFT JOIN pg_catalog.pg_namespace rcn ON rcn.oid = rco.collnamespace
         WHERE r.rngtypid = t.oid) AS range,
       CASE WHEN t.typtype = 'b' THEN pg_catalog.json_build_object(
         'length', t.typlen, 'input', t.typinput::pg_catalog.regproc::text, 'output', t.typoutput::pg_catalog.regproc::text,
         'receive', CASE WHEN t.typreceive <> 0 THEN t.typreceive::pg_catalog.regproc::text END,
         'send', CASE WHEN t.typsend <> 0 THEN t.typsend::pg_catalog.regproc::text END,
         'typmodIn', CASE WHEN t.typmodin <> 0 THEN t.typmodin::pg_catalog.regproc::text END,
         'typmodOut', CASE WHEN t.typmodout <> 0 THEN t.typmodout::pg_catalog.regproc::text END,
         'analyze', CASE WHEN t.typanalyze <> 0 THEN t.typanalyze::pg_catalog.regproc::text END,
         'subscript', CASE WHEN t.typsubscript <> 0 THEN t.typsubscript::pg_catalog.regproc::text END,
         -- The functions CREATE TYPE names (the I/O ones take or return the type: a loop broken by the shell type).
         'functions', (SELECT pg_catalog.json_agg(f::int) FROM pg_catalog.unnest(ARRAY[t.typinput, t.typoutput, t.typreceive, t.typsend,
                         t.typmodin, t.typmodout, t.typanalyze, t.typsubscript]::pg_catalog.oid[]) AS f WHERE f <> 0),
         'collatable', t.typcollation <> 0,
         -- A default given as an expression (typdefaultbin) is written as one, else as a literal.
         'defaultExpr', pg_catalog.pg_get_expr(t.typdefaultbin, 0), 'default', t.typdefault,
         'element', CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END,
         'category', t.typcategory, 'preferred', t.typispreferred, 'delimiter', t.typdelim,
         'align', t.typalign, 'storage', t.typstorage, 'byValue', t.typbyval) END AS base
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_type'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
   AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')
        -- Base types that are not the array type of another (those come with their element type).
        OR (t.typtype = 'b' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid))
        OR (t.typtype = 'p' AND NOT t.typisdefined))
 ORDER BY n.nspname, t.typname
