-- Tables, views, materialized views, sequences and foreign tables (pg_class), with their parents in
-- inhseqno order, and a foreign table's server and options (pg_foreign_table).
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind, c.relpersistence AS persistence,
       c.reloptions AS options, tc.reloptions AS "toastOptions", c.relreplident AS replident,
       c.relrowsecurity AS "rowSecurity", c.relforcerowsecurity AS "forceRowSecurity", c.relispartition AS "isPartition",
       c.relispopulated AS populated, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN c.relacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(c.relacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       -- The owner still holds every privilege this server's tables have (17 added MAINTAIN).
       COALESCE(pg_catalog.cardinality(c.relacl) > 0 AND pg_catalog.aclcontains(c.relacl,
         (pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))[1]), false) AS "ownerHasAll",
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS "partitionKey",
       CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS "partitionBound",
       (SELECT pg_catalog.array_agg(pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname) ORDER BY i.inhseqno)
          FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid) AS parents,
       (SELECT pg_catalog.array_agg(i.inhparent::int ORDER BY i.inhseqno) FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid) AS "parentOids",
       -- A partition under hash partitioning on an enum: the hash depends on the enum's OIDs, which a
       -- restore changes, so its rows would no longer fit the partition they were in (COPY into it
       -- fails with "violates partition constraint"). As pg_dump (which forces --load-via-partition-root
       -- for them), its rows are loaded through the root of its tree, which routes each one where its
       -- new hash puts it. So is anything whose hash holds an enum (an array, domain, composite, range or
       -- multirange of one, however nested), where pg_dump only looks for enum_ops and fails the
       -- restore; an expression key of a polymorphic hash class (its type is not in the catalog) may
       -- hold one too. The root's OID, else NULL.
       CASE WHEN c.relispartition AND EXISTS (
              WITH RECURSIVE key_types(type, of_expression) AS (
                SELECT CASE WHEN k.attnum = 0 THEN oc.opcintype ELSE a.atttypid END, k.attnum = 0
                  FROM pg_catalog.pg_partition_ancestors(c.oid) AS ancestor(relid)
                  JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = ancestor.relid AND pt.partstrat = 'h'
                 CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(pt.partattrs::pg_catalog.int2[]), pg_catalog.unnest(pt.partclass::pg_catalog.oid[])) AS k(attnum, opclass)
                  JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opclass
                  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum
                UNION
                SELECT inner_type.oid, false
                  FROM key_types kt JOIN pg_catalog.pg_type t ON t.oid = kt.type
                 CROSS JOIN LATERAL (SELECT t.typelem UNION ALL SELECT t.typbasetype
                                     UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid
                                     UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid
                                     UNION ALL SELECT f.atttypid FROM pg_catalog.pg_attribute f
                                                WHERE f.attrelid = t.typrelid AND f.attnum > 0 AND NOT f.attisdropped) AS inner_type(oid)
                 WHERE inner_type.oid <> 0)
              SELECT 1 FROM key_types kt JOIN pg_catalog.pg_type t ON t.oid = kt.type
               WHERE t.typtype = 'e' OR (kt.of_expression AND t.typtype = 'p'))
            THEN pg_catalog.pg_partition_root(c.oid)::int END AS "loadViaRoot",
       -- A typed table's type (CREATE TABLE ... OF type).
       CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END AS "ofType",
       NULLIF(c.reloftype, 0)::int AS "ofTypeOid",
       -- A table's or materialized view's access method when it is not heap; a partitioned table's (17+)
       -- whenever one is set, heap too (its relam is 0 unless USING or SET ACCESS METHOD gave one).
       (SELECT am.amname FROM pg_catalog.pg_am am
         WHERE am.oid = c.relam AND ((c.relkind IN ('r', 'm') AND am.amname <> 'heap') OR c.relkind = 'p')) AS "accessMethod",
       -- A tablespace other than the database's default (0).
       (SELECT ts.spcname FROM pg_catalog.pg_tablespace ts WHERE ts.oid = c.reltablespace) AS tablespace,
       (SELECT s.srvname FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
         WHERE ft.ftrelid = c.oid) AS "foreignServer",
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(o.option_name, o.option_value) ORDER BY o.ordinality)
          FROM pg_catalog.pg_foreign_table ft CROSS JOIN LATERAL pg_catalog.pg_options_to_table(ft.ftoptions) WITH ORDINALITY AS o
         WHERE ft.ftrelid = c.oid) AS "foreignOptions"
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
 ORDER BY n.nspname, c.relname
