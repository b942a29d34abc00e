-- Objects that belong to an extension: an edge to one of them is an edge to the extension.
SELECT d.classid::regclass::text AS classid, d.objid::int AS objid, d.refobjid::int AS extension
  FROM pg_catalog.pg_depend d
 WHERE d.deptype = 'e' AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
