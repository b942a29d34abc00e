-- Columns of tables, views, materialized views and foreign tables (with their options, attfdwoptions). `notNullConstraint` is the column's NOT NULL
-- constraint row (contype 'n'), which only PostgreSQL 18 has: before 18 it is NULL.
SELECT a.attrelid::int AS relid, a.attnum AS num, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS "notNull", a.attidentity AS identity, a.attgenerated AS generated, a.attstorage AS storage,
       t.typstorage AS "typeStorage",
       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
            THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "defaultExpr", a.attislocal AS "isLocal",
       a.attstattarget::int AS "statTarget", a.attcompression::text AS compression,
       a.attoptions AS options,
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(o.option_name, o.option_value) ORDER BY o.ordinality)
          FROM pg_catalog.pg_options_to_table(a.attfdwoptions) WITH ORDINALITY AS o) AS "foreignOptions",
       pg_catalog.col_description(a.attrelid, a.attnum) AS comment,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN a.attacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(a.attacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
                WHERE i.inhrelid = a.attrelid AND pa.attnotnull AND NOT pa.attisdropped) AS "inheritedNotNull",
       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
                WHERE i.inhrelid = a.attrelid AND pa.atthasdef AND NOT pa.attisdropped) AS "inheritedDefault",
       -- Every parent generating the column does it by the child's expression (pg_dump's test for leaving the child's out).
       (a.attgenerated <> '' AND COALESCE((
          SELECT pg_catalog.bool_and(pg_catalog.pg_get_expr(pd.adbin, pd.adrelid) = pg_catalog.pg_get_expr(d.adbin, d.adrelid))
            FROM pg_catalog.pg_inherits i
            JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname AND pa.attgenerated <> '' AND NOT pa.attisdropped
            JOIN pg_catalog.pg_attrdef pd ON pd.adrelid = pa.attrelid AND pd.adnum = pa.attnum
           WHERE i.inhrelid = a.attrelid), false)) AS "generationFromParent",
       (SELECT pg_catalog.json_build_object('oid', nn.oid::int, 'name', nn.conname, 'local', nn.conislocal,
                  'inherited', nn.coninhcount > 0, 'validated', nn.convalidated, 'noInherit', nn.connoinherit,
                  'comment', pg_catalog.obj_description(nn.oid, 'pg_constraint'),
                  -- The name CREATE TABLE ... INHERITS gives it: the first parent's valid one on the column (a NOT VALID one comes after the data).
                  'inheritedName', (SELECT pnn.conname FROM pg_catalog.pg_inherits i
                                      JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname AND NOT pa.attisdropped
                                      JOIN pg_catalog.pg_constraint pnn ON pnn.conrelid = i.inhparent AND pnn.contype = 'n' AND pnn.conkey[1] = pa.attnum
                                     WHERE i.inhrelid = a.attrelid AND pnn.convalidated AND NOT pnn.connoinherit ORDER BY i.inhseqno LIMIT 1))
           FROM pg_catalog.pg_constraint nn WHERE nn.conrelid = a.attrelid AND nn.contype = 'n' AND nn.conkey[1] = a.attnum) AS "notNullConstraint"
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY a.attrelid, a.attnum
