-- Extensions. `owned`: the dumping role may drop the extension and comment on it (a superuser, or
-- a member of its owner). A non-superuser owner of Immich's database (Immich documents that setup)
-- has its extensions created beforehand by a superuser: it can neither drop them nor comment on
-- them. `defaultComment`: the comment CREATE EXTENSION sets from the control file.
SELECT x.oid::int AS oid, x.extname AS name, n.nspname AS schema, pg_catalog.obj_description(x.oid, 'pg_extension') AS comment,
       pg_catalog.pg_has_role(x.extowner, 'USAGE') AS owned, a.comment AS "defaultComment"
  FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
  LEFT JOIN pg_catalog.pg_available_extensions a ON a.name = x.extname
 WHERE x.oid >= 16384
 ORDER BY x.extname
