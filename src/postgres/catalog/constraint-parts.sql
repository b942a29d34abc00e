-- Constraints written together with another object: the index behind a PRIMARY KEY, UNIQUE or
-- EXCLUDE constraint (`indexId`), and the trigger a constraint trigger's pg_constraint row stands
-- for (`triggerId`).
SELECT co.oid::int AS oid, co.conindid::int AS "indexId",
       (SELECT t.oid::int FROM pg_catalog.pg_trigger t WHERE t.tgconstraint = co.oid AND co.contype = 't' AND NOT t.tgisinternal LIMIT 1) AS "triggerId"
  FROM pg_catalog.pg_constraint co WHERE co.contype IN ('p', 'u', 'x', 't')
