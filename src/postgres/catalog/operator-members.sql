-- The operators (pg_amop) and support functions (pg_amproc) of operator classes and families, each
-- with what it belongs to: its class (pg_depend 'i' on it) or, bound to the family alone, its
-- family ('a'). That owner writes it, and the member's dependencies (its operator, its function)
-- are the owner's. Operators by regoperator, functions by regprocedure, types by regtype (schema-
-- qualified on this session); an ordering operator's sort family as [schema, name].
SELECT 'pg_amop' AS classid, ao.oid::int AS objid, d.refclassid::regclass::text AS refclassid, d.refobjid::int AS refobjid,
       ao.amopstrategy AS number, ao.amopopr::pg_catalog.regoperator::text AS member, NULL AS "leftType", NULL AS "rightType",
       CASE WHEN ao.amopsortfamily <> 0 THEN pg_catalog.json_build_array(sn.nspname, sf.opfname) END AS "sortFamily"
  FROM pg_catalog.pg_amop ao
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_amop'::pg_catalog.regclass AND d.objid = ao.oid
       AND d.refclassid IN ('pg_opclass'::pg_catalog.regclass, 'pg_opfamily'::pg_catalog.regclass) AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_catalog.pg_opfamily sf ON sf.oid = ao.amopsortfamily
  LEFT JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
 WHERE ao.oid >= 16384
UNION ALL
SELECT 'pg_amproc', ap.oid::int, d.refclassid::regclass::text, d.refobjid::int,
       ap.amprocnum, ap.amproc::pg_catalog.regprocedure::text, ap.amproclefttype::pg_catalog.regtype::text,
       ap.amprocrighttype::pg_catalog.regtype::text, NULL
  FROM pg_catalog.pg_amproc ap
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_amproc'::pg_catalog.regclass AND d.objid = ap.oid
       AND d.refclassid IN ('pg_opclass'::pg_catalog.regclass, 'pg_opfamily'::pg_catalog.regclass) AND d.deptype IN ('a', 'i')
 WHERE ap.oid >= 16384
 ORDER BY 3, 4, 1, 5
