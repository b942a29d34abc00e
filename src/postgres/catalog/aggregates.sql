-- Aggregates (CREATE AGGREGATE), with what pg_dump reads of pg_aggregate: functions by regproc and
-- types by regtype (schema-qualified on this session), '-' read as NULL; the sort operator by
-- schema and name (written OPERATOR(s.op)); the arguments as pg_get_function_arguments writes
-- them (ordered-set ones with ORDER BY) and the identity arguments that name it.
SELECT p.oid::int AS oid, n.nspname AS schema, p.proname AS name, a.aggkind AS kind,
       pg_catalog.pg_get_function_arguments(p.oid) AS args, pg_catalog.pg_get_function_identity_arguments(p.oid) AS "identityArgs",
       a.aggtransfn::pg_catalog.regproc::text AS "transFunction", a.aggtranstype::pg_catalog.regtype::text AS "transType",
       a.aggtransspace AS "transSpace", a.agginitval AS "initialValue",
       NULLIF(a.aggfinalfn, 0)::pg_catalog.regproc::text AS "finalFunction", a.aggfinalextra AS "finalExtra", a.aggfinalmodify AS "finalModify",
       NULLIF(a.aggcombinefn, 0)::pg_catalog.regproc::text AS "combineFunction",
       NULLIF(a.aggserialfn, 0)::pg_catalog.regproc::text AS "serialFunction",
       NULLIF(a.aggdeserialfn, 0)::pg_catalog.regproc::text AS "deserialFunction",
       NULLIF(a.aggmtransfn, 0)::pg_catalog.regproc::text AS "movingTransFunction",
       NULLIF(a.aggminvtransfn, 0)::pg_catalog.regproc::text AS "movingInverseFunction",
       NULLIF(a.aggmtranstype, 0)::pg_catalog.regtype::text AS "movingTransType", a.aggmtransspace AS "movingTransSpace",
       a.aggminitval AS "movingInitialValue",
       NULLIF(a.aggmfinalfn, 0)::pg_catalog.regproc::text AS "movingFinalFunction", a.aggmfinalextra AS "movingFinalExtra",
       a.aggmfinalmodify AS "movingFinalModify",
       (SELECT pg_catalog.json_build_array(sn.nspname, so.oprname) FROM pg_catalog.pg_operator so
          JOIN pg_catalog.pg_namespace sn ON sn.oid = so.oprnamespace WHERE so.oid = a.aggsortop) AS "sortOperator",
       p.proparallel AS parallel, pg_catalog.pg_get_userbyid(p.proowner) AS owner,
       -- NULL: the built-in default privileges; [] : all revoked.
       CASE WHEN p.proacl IS NOT NULL THEN COALESCE((
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable) ORDER BY item.position)
           FROM pg_catalog.aclexplode(p.proacl) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END AS acl,
       pg_catalog.obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_catalog.pg_aggregate a
  JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
 ORDER BY n.nspname, p.proname, 6
