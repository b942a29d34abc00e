-- Each view's _RETURN rule: a view's dependency edges hang off this rule (pg_depend), not the view.
SELECT r.oid::int AS oid, r.ev_class::int AS relid FROM pg_catalog.pg_rewrite r WHERE r.rulename = '_RETURN'
