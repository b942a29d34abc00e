-- Constraints of domains: a domain CHECK's dependency edges hang off its pg_constraint row.
SELECT co.oid::int AS oid, co.contypid::int AS typid FROM pg_catalog.pg_constraint co WHERE co.contypid <> 0
