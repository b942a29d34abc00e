-- Large objects (pg_largeobject_metadata: readable by every role, unlike pg_largeobject) with
-- their owner, privileges and comment, in OID order. OIDs go past 2^31: read as float8 (exact).
SELECT l.oid::pg_catalog.int8::float8 AS oid, pg_catalog.pg_get_userbyid(l.lomowner) AS owner,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN l.lomacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(l.lomacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       pg_catalog.obj_description(l.oid, 'pg_largeobject') AS comment
  FROM pg_catalog.pg_largeobject_metadata l
 ORDER BY l.oid
