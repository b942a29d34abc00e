-- Operator classes (CREATE OPERATOR CLASS; its operators and support functions are read by
-- operator-members.sql): the family when it is not the one of the same name and schema CREATE
-- OPERATOR CLASS makes itself.
SELECT c.oid::int AS oid, n.nspname AS schema, c.opcname AS name, am.amname AS method, c.opcdefault AS "default",
       c.opcintype::pg_catalog.regtype::text AS type,
       CASE WHEN c.opckeytype <> 0 THEN c.opckeytype::pg_catalog.regtype::text END AS storage,
       CASE WHEN f.opfname <> c.opcname OR f.opfnamespace <> c.opcnamespace THEN pg_catalog.json_build_array(fn.nspname, f.opfname) END AS family,
       c.opcfamily::int AS "familyOid", pg_catalog.pg_get_userbyid(c.opcowner) AS owner,
       pg_catalog.obj_description(c.oid, 'pg_opclass') AS comment
  FROM pg_catalog.pg_opclass c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace
  JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod
  JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily
  JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_opclass'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY n.nspname, c.opcname, am.amname
