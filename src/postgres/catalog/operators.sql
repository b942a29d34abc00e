-- User operators (CREATE OPERATOR): argument types by regtype and functions by regproc (schema-
-- qualified on this session); commutator and negator by schema and name (written OPERATOR(s.op)).
-- Shell operators (no function: named as a commutator or negator, never defined) are not written,
-- as in pg_dump: the CREATE OPERATOR that names one makes it again.
SELECT o.oid::int AS oid, n.nspname AS schema, o.oprname AS name, o.oprkind AS kind,
       o.oprleft::pg_catalog.regtype::text AS "leftType", o.oprright::pg_catalog.regtype::text AS "rightType",
       o.oprcode::pg_catalog.regproc::text AS function,
       CASE WHEN o.oprrest <> 0 THEN o.oprrest::pg_catalog.regproc::text END AS restrict,
       CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::pg_catalog.regproc::text END AS "join",
       (SELECT pg_catalog.json_build_array(cn.nspname, c.oprname) FROM pg_catalog.pg_operator c
          JOIN pg_catalog.pg_namespace cn ON cn.oid = c.oprnamespace WHERE c.oid = o.oprcom) AS commutator,
       (SELECT pg_catalog.json_build_array(nn.nspname, ng.oprname) FROM pg_catalog.pg_operator ng
          JOIN pg_catalog.pg_namespace nn ON nn.oid = ng.oprnamespace WHERE ng.oid = o.oprnegate) AS negator,
       o.oprcanmerge AS merges, o.oprcanhash AS hashes,
       pg_catalog.pg_get_userbyid(o.oprowner) AS owner,
       pg_catalog.obj_description(o.oid, 'pg_operator') AS comment
  FROM pg_catalog.pg_operator o
  JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
 WHERE o.oprcode <> 0 AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_operator'::pg_catalog.regclass AND e.objid = o.oid AND e.deptype = 'e')
 ORDER BY n.nspname, o.oprname, 5, 6
