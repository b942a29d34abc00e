-- Column defaults (pg_attrdef): a DEFAULT's dependency edges hang off this row, not its table.
SELECT d.oid::int AS oid, d.adrelid::int AS relid, d.adnum::int AS attnum FROM pg_catalog.pg_attrdef d
