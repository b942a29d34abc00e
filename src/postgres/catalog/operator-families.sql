-- Operator families (CREATE OPERATOR FAMILY + ALTER OPERATOR FAMILY ... ADD the members bound to
-- the family itself, read by operator-members.sql).
-- `implicit`: created by CREATE OPERATOR CLASS of the same name, schema and owner, holding nothing
-- else and without a comment, so (like pg_dump) it is left to that statement.
SELECT f.oid::int AS oid, n.nspname AS schema, f.opfname AS name, am.amname AS method,
       EXISTS (SELECT 1 FROM pg_catalog.pg_opclass c WHERE c.opcfamily = f.oid)
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_opclass c WHERE c.opcfamily = f.oid
                          AND (c.opcname <> f.opfname OR c.opcnamespace <> f.opfnamespace OR c.opcowner <> f.opfowner))
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.refclassid = 'pg_opfamily'::pg_catalog.regclass AND d.refobjid = f.oid
                          AND d.classid IN ('pg_amop'::pg_catalog.regclass, 'pg_amproc'::pg_catalog.regclass))
         AND pg_catalog.obj_description(f.oid, 'pg_opfamily') IS NULL AS implicit,
       pg_catalog.pg_get_userbyid(f.opfowner) AS owner,
       pg_catalog.obj_description(f.oid, 'pg_opfamily') AS comment
  FROM pg_catalog.pg_opfamily f
  JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
  JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_opfamily'::pg_catalog.regclass AND e.objid = f.oid AND e.deptype = 'e')
 ORDER BY n.nspname, f.opfname, am.amname
