-- Kinds with no catalog query of their own: extended statistics, collations, conversions, text search
-- parsers, templates, dictionaries and configurations (a configuration with its token mappings), event triggers,
-- publications, foreign data wrappers and servers (owners and privileges with --owner), a table's
-- or schema's membership in a publication, user mappings (the names of their options only: the
-- values may be passwords, and the fingerprint is stored in the manifest), casts, operators,
-- operator families (every operator and support function in them, with the class it belongs to)
-- and operator classes (owners with --owner), access methods, transforms, subscriptions, and what an aggregate is beyond its
-- pg_proc row (functions.sql): its pg_aggregate row.
SELECT i.type, i.identity, 'pg_statistic_ext:' || s.oid AS key, ARRAY['pg_class:' || s.stxrelid] AS parents,
       (pg_catalog.to_jsonb(s) - ARRAY['oid', 'stxrelid', 'stxname', 'stxnamespace', 'stxowner', 'stxkeys', 'stxexprs'])
       || pg_catalog.jsonb_build_object('definition', pg_catalog.pg_get_statisticsobjdef(s.oid))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(s.stxowner)) ELSE '{}'::pg_catalog.jsonb END AS props
  FROM pg_catalog.pg_statistic_ext s
  JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_statistic_ext'::pg_catalog.regclass, s.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass AND e.objid = s.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_collation:' || co.oid, ARRAY[]::text[],
       (pg_catalog.to_jsonb(co) - ARRAY['oid', 'collname', 'collnamespace', 'collowner', 'collversion'])
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(co.collowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_collation co
  JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_collation'::pg_catalog.regclass, co.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_collation'::pg_catalog.regclass AND e.objid = co.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_conversion:' || c.oid, ARRAY['pg_proc:' || c.conproc],
       pg_catalog.jsonb_build_object('conforencoding', pg_catalog.pg_encoding_to_char(c.conforencoding),
         'contoencoding', pg_catalog.pg_encoding_to_char(c.contoencoding), 'conproc', c.conproc::pg_catalog.regprocedure::text, 'condefault', c.condefault)
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(c.conowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_conversion c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_conversion'::pg_catalog.regclass, c.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_conversion'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_ts_parser:' || p.oid, ARRAY['pg_proc:' || p.prsstart, 'pg_proc:' || p.prstoken, 'pg_proc:' || p.prsend, 'pg_proc:' || p.prsheadline, 'pg_proc:' || p.prslextype],
       pg_catalog.jsonb_build_object('prsstart', p.prsstart::pg_catalog.regprocedure::text, 'prstoken', p.prstoken::pg_catalog.regprocedure::text,
         'prsend', p.prsend::pg_catalog.regprocedure::text, 'prslextype', p.prslextype::pg_catalog.regprocedure::text,
         'prsheadline', CASE WHEN p.prsheadline <> 0 THEN p.prsheadline::pg_catalog.regprocedure::text END)
  FROM pg_catalog.pg_ts_parser p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_ts_parser'::pg_catalog.regclass, p.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_ts_parser'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_ts_template:' || t.oid, ARRAY['pg_proc:' || t.tmplinit, 'pg_proc:' || t.tmpllexize],
       pg_catalog.jsonb_build_object('tmpllexize', t.tmpllexize::pg_catalog.regprocedure::text,
         'tmplinit', CASE WHEN t.tmplinit <> 0 THEN t.tmplinit::pg_catalog.regprocedure::text END)
  FROM pg_catalog.pg_ts_template t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_ts_template'::pg_catalog.regclass, t.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_ts_template'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_ts_dict:' || d.oid, ARRAY['pg_ts_template:' || d.dicttemplate],
       (pg_catalog.to_jsonb(d) - ARRAY['oid', 'dictname', 'dictnamespace', 'dictowner', 'dicttemplate'])
       || pg_catalog.jsonb_build_object('template', (SELECT pg_catalog.to_jsonb(ARRAY[tn.nspname::text, t.tmplname::text])
                                                       FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
                                                      WHERE t.oid = d.dicttemplate))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(d.dictowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_ts_dict d
  JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_ts_dict'::pg_catalog.regclass, d.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_ts_dict'::pg_catalog.regclass AND e.objid = d.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_ts_config:' || c.oid,
       ARRAY['pg_ts_parser:' || c.cfgparser]
       || ARRAY(SELECT DISTINCT 'pg_ts_dict:' || m.mapdict FROM pg_catalog.pg_ts_config_map m WHERE m.mapcfg = c.oid),
       (pg_catalog.to_jsonb(c) - ARRAY['oid', 'cfgname', 'cfgnamespace', 'cfgowner', 'cfgparser'])
       || pg_catalog.jsonb_build_object(
            'parser', (SELECT pg_catalog.to_jsonb(ARRAY[pn.nspname::text, p.prsname::text])
                         FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace WHERE p.oid = c.cfgparser),
            'mappings', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(m.maptokentype, m.mapseqno, dn.nspname, dd.dictname)
                                                     ORDER BY m.maptokentype, m.mapseqno)
                           FROM pg_catalog.pg_ts_config_map m
                           JOIN pg_catalog.pg_ts_dict dd ON dd.oid = m.mapdict
                           JOIN pg_catalog.pg_namespace dn ON dn.oid = dd.dictnamespace
                          WHERE m.mapcfg = c.oid))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(c.cfgowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_ts_config c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_ts_config'::pg_catalog.regclass, c.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_ts_config'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_event_trigger:' || t.oid, ARRAY['pg_proc:' || t.evtfoid],
       (pg_catalog.to_jsonb(t) - ARRAY['oid', 'evtname', 'evtowner', 'evtfoid'])
       || pg_catalog.jsonb_build_object('function', t.evtfoid::pg_catalog.regprocedure::text)
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(t.evtowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_event_trigger t
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_event_trigger'::pg_catalog.regclass, t.oid, 0) AS i
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_event_trigger'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_publication:' || p.oid, ARRAY[]::text[],
       (pg_catalog.to_jsonb(p) - ARRAY['oid', 'pubname', 'pubowner'])
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(p.pubowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_publication p
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_publication'::pg_catalog.regclass, p.oid, 0) AS i
UNION ALL
-- A published table's column list and row filter (15+) as pg_publication_tables shows them.
SELECT i.type, i.identity, 'pg_publication_rel:' || pr.oid, ARRAY['pg_publication:' || pr.prpubid, 'pg_class:' || pr.prrelid],
       COALESCE((SELECT pg_catalog.to_jsonb(pt) - ARRAY['pubname', 'schemaname', 'tablename']
                   FROM pg_catalog.pg_publication_tables pt
                  WHERE pt.pubname = p.pubname AND pt.schemaname = n.nspname AND pt.tablename = c.relname), '{}'::pg_catalog.jsonb)
  FROM pg_catalog.pg_publication_rel pr
  JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
  JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_publication_rel'::pg_catalog.regclass, pr.oid, 0) AS i
UNION ALL
-- A schema's membership in a publication (15+; to_regclass is NULL before, so no rows), found
-- through its pg_depend row on the schema.
SELECT i.type, i.identity, 'pg_publication_namespace:' || d.objid, ARRAY['pg_namespace:' || d.refobjid], '{}'::pg_catalog.jsonb
  FROM pg_catalog.pg_depend d
 CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.classid, d.objid, 0) AS i
 WHERE d.classid = pg_catalog.to_regclass('pg_catalog.pg_publication_namespace')
   AND d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
UNION ALL
SELECT i.type, i.identity, 'pg_foreign_data_wrapper:' || w.oid, ARRAY[]::text[],
       (pg_catalog.to_jsonb(w) - ARRAY['oid', 'fdwname', 'fdwowner', 'fdwhandler', 'fdwvalidator', 'fdwacl'])
       || pg_catalog.jsonb_build_object(
            'handler', CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::pg_catalog.regprocedure::text END,
            'validator', CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::pg_catalog.regprocedure::text END)
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object(
            'owner', pg_catalog.pg_get_userbyid(w.fdwowner),
            'acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(COALESCE(w.fdwacl, pg_catalog.acldefault('F'::"char", w.fdwowner))::text[]) AS item))
          ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_foreign_data_wrapper w
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass, w.oid, 0) AS i
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass AND e.objid = w.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_foreign_server:' || fs.oid, ARRAY['pg_foreign_data_wrapper:' || fs.srvfdw],
       (pg_catalog.to_jsonb(fs) - ARRAY['oid', 'srvname', 'srvowner', 'srvfdw', 'srvacl'])
       || pg_catalog.jsonb_build_object('wrapper', (SELECT w.fdwname FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.oid = fs.srvfdw))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object(
            'owner', pg_catalog.pg_get_userbyid(fs.srvowner),
            'acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(COALESCE(fs.srvacl, pg_catalog.acldefault('S'::"char", fs.srvowner))::text[]) AS item))
          ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_foreign_server fs
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_foreign_server'::pg_catalog.regclass, fs.oid, 0) AS i
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_foreign_server'::pg_catalog.regclass AND e.objid = fs.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_user_mapping:' || um.umid, ARRAY['pg_foreign_server:' || um.srvid],
       pg_catalog.jsonb_build_object('options', (SELECT pg_catalog.jsonb_agg(o.option_name ORDER BY o.option_name)
                                                   FROM pg_catalog.pg_options_to_table(um.umoptions) AS o))
  FROM pg_catalog.pg_user_mappings um
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_user_mapping'::pg_catalog.regclass, um.umid, 0) AS i
UNION ALL
SELECT i.type, i.identity, 'pg_opfamily:' || f.oid, ARRAY[]::text[],
       pg_catalog.jsonb_build_object(
         'method', (SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = f.opfmethod),
         'operators', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(ao.amopstrategy, ao.amoplefttype::pg_catalog.regtype::text,
                                ao.amoprighttype::pg_catalog.regtype::text, ao.amoppurpose, ao.amopopr::pg_catalog.regoperator::text,
                                (SELECT sn.nspname || '.' || sf.opfname FROM pg_catalog.pg_opfamily sf JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace
                                  WHERE sf.oid = ao.amopsortfamily),
                                (SELECT oc.opcname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_opclass oc ON oc.oid = d.refobjid
                                  WHERE d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.objid = ao.oid
                                    AND d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass))
                                ORDER BY ao.amopstrategy, ao.amoplefttype, ao.amoprighttype)
                         FROM pg_catalog.pg_amop ao WHERE ao.amopfamily = f.oid),
         'functions', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(ap.amprocnum, ap.amproclefttype::pg_catalog.regtype::text,
                                ap.amprocrighttype::pg_catalog.regtype::text, ap.amproc::pg_catalog.regprocedure::text,
                                (SELECT oc.opcname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_opclass oc ON oc.oid = d.refobjid
                                  WHERE d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.objid = ap.oid
                                    AND d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass))
                                ORDER BY ap.amprocnum, ap.amproclefttype, ap.amprocrighttype)
                         FROM pg_catalog.pg_amproc ap WHERE ap.amprocfamily = f.oid))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(f.opfowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_opfamily f
  JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_opfamily'::pg_catalog.regclass, f.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_opfamily'::pg_catalog.regclass AND e.objid = f.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_opclass:' || oc.oid, ARRAY['pg_opfamily:' || oc.opcfamily],
       (pg_catalog.to_jsonb(oc) - ARRAY['oid', 'opcname', 'opcnamespace', 'opcowner', 'opcmethod', 'opcfamily', 'opcintype', 'opckeytype'])
       || pg_catalog.jsonb_build_object(
            'method', (SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = oc.opcmethod),
            'family', (SELECT fn.nspname || '.' || f.opfname FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
                        WHERE f.oid = oc.opcfamily),
            'type', oc.opcintype::pg_catalog.regtype::text,
            'storage', CASE WHEN oc.opckeytype <> 0 THEN oc.opckeytype::pg_catalog.regtype::text END)
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(oc.opcowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_opclass oc
  JOIN pg_catalog.pg_namespace n ON n.oid = oc.opcnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_opclass'::pg_catalog.regclass, oc.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AND e.objid = oc.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity || ' (aggregate)', 'pg_proc:' || p.oid, ARRAY[]::text[],
       (pg_catalog.to_jsonb(ag) - ARRAY['aggfnoid', 'aggsortop', 'aggtranstype', 'aggmtranstype'])
       || pg_catalog.jsonb_build_object(
            'aggsortop', CASE WHEN ag.aggsortop <> 0 THEN ag.aggsortop::pg_catalog.regoperator::text END,
            'aggtranstype', pg_catalog.format_type(ag.aggtranstype, NULL),
            'aggmtranstype', CASE WHEN ag.aggmtranstype <> 0 THEN pg_catalog.format_type(ag.aggmtranstype, NULL) END)
  FROM pg_catalog.pg_aggregate ag
  JOIN pg_catalog.pg_proc p ON p.oid = ag.aggfnoid
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_am:' || am.oid, ARRAY[]::text[],
       pg_catalog.jsonb_build_object('amtype', am.amtype, 'handler', am.amhandler::pg_catalog.regprocedure::text)
  FROM pg_catalog.pg_am am
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_am'::pg_catalog.regclass, am.oid, 0) AS i
 WHERE am.oid >= 16384
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_am'::pg_catalog.regclass AND e.objid = am.oid AND e.deptype = 'e')
UNION ALL
-- A transform's identity is spelled here: pg_identify_object's changed in 17 ("for t on language l" -> "for t language l").
SELECT 'transform', 'for ' || pg_catalog.format_type(t.trftype, NULL) || ' language ' || pg_catalog.quote_ident(l.lanname), 'pg_transform:' || t.oid,
       ARRAY['pg_type:' || t.trftype, 'pg_proc:' || t.trffromsql, 'pg_proc:' || t.trftosql],
       pg_catalog.jsonb_build_object(
         'trffromsql', CASE WHEN t.trffromsql <> 0 THEN t.trffromsql::pg_catalog.regprocedure::text END,
         'trftosql', CASE WHEN t.trftosql <> 0 THEN t.trftosql::pg_catalog.regprocedure::text END)
  FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_transform'::pg_catalog.regclass AND e.objid = t.oid AND e.deptype = 'e')
UNION ALL
-- This database's subscriptions, by the columns every role may read (never the connection string)
-- and stable across releases; left out: subenabled (a restore leaves them disabled, as pg_dump's)
-- and options added after 14.
SELECT 'subscription', pg_catalog.quote_ident(s.subname), 'pg_subscription:' || s.oid, ARRAY[]::text[],
       pg_catalog.jsonb_build_object('subslotname', s.subslotname, 'subsynccommit', s.subsynccommit, 'subpublications', s.subpublications,
         'subbinary', s.subbinary,
         'substream', CASE s.substream::text WHEN 'true' THEN 't' WHEN 'false' THEN 'f' ELSE s.substream::text END)
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(s.subowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_subscription s
 WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
UNION ALL
SELECT i.type, i.identity, 'pg_cast:' || ca.oid, ARRAY['pg_type:' || ca.castsource, 'pg_type:' || ca.casttarget, 'pg_proc:' || ca.castfunc],
       (pg_catalog.to_jsonb(ca) - ARRAY['oid', 'castsource', 'casttarget', 'castfunc'])
       || pg_catalog.jsonb_build_object('castfunc', CASE WHEN ca.castfunc <> 0 THEN ca.castfunc::pg_catalog.regprocedure::text END)
  FROM pg_catalog.pg_cast ca
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_cast'::pg_catalog.regclass, ca.oid, 0) AS i
 WHERE ca.oid >= 16384
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass AND e.objid = ca.oid AND e.deptype = 'e')
UNION ALL
SELECT i.type, i.identity, 'pg_operator:' || o.oid, ARRAY['pg_type:' || o.oprleft, 'pg_type:' || o.oprright, 'pg_proc:' || o.oprcode],
       (pg_catalog.to_jsonb(o) - ARRAY['oid', 'oprname', 'oprnamespace', 'oprowner', 'oprleft', 'oprright', 'oprresult', 'oprcom', 'oprnegate',
                                        'oprcode', 'oprrest', 'oprjoin'])
       || pg_catalog.jsonb_build_object(
            'oprresult', pg_catalog.format_type(o.oprresult, NULL),
            'oprcom', CASE WHEN o.oprcom <> 0 THEN o.oprcom::pg_catalog.regoperator::text END,
            'oprnegate', CASE WHEN o.oprnegate <> 0 THEN o.oprnegate::pg_catalog.regoperator::text END,
            'oprcode', CASE WHEN o.oprcode <> 0 THEN o.oprcode::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'oprrest', CASE WHEN o.oprrest <> 0 THEN o.oprrest::pg_catalog.oid::pg_catalog.regprocedure::text END,
            'oprjoin', CASE WHEN o.oprjoin <> 0 THEN o.oprjoin::pg_catalog.oid::pg_catalog.regprocedure::text END)
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(o.oprowner)) ELSE '{}'::pg_catalog.jsonb END
  FROM pg_catalog.pg_operator o
  JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND e.objid = o.oid AND e.deptype = 'e')
