-- Rules other than a view's _RETURN rule (that one is the view's definition, in classes.sql).
SELECT i.type, i.identity, 'pg_rewrite:' || r.oid AS key, ARRAY['pg_class:' || r.ev_class] AS parents,
       (pg_catalog.to_jsonb(r) - ARRAY['oid', 'rulename', 'ev_class', 'ev_qual', 'ev_action'])
       || pg_catalog.jsonb_build_object('definition', pg_catalog.pg_get_ruledef(r.oid)) AS props
  FROM pg_catalog.pg_rewrite r
  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_rewrite'::pg_catalog.regclass, r.oid, 0) AS i
 WHERE r.rulename <> '_RETURN'
   AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
