-- NOT VALID CHECK and NOT NULL constraints of inheritance parents, with each child: the parent's
-- ALTER after the data reaches the child, whose copy may have to be validated again.
SELECT i.inhrelid::int AS child, i.inhparent::int AS parent, co.oid::int AS constraint, co.conname AS name, co.contype AS type
  FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_constraint co ON co.conrelid = i.inhparent
 WHERE co.contype IN ('c', 'n') AND NOT co.convalidated
