-- Table and domain constraints (CHECK, NOT NULL, PRIMARY KEY, UNIQUE, FOREIGN KEY, EXCLUDE, constraint
-- triggers): the whole pg_constraint row, column numbers as column names, operators as their
-- signatures, the expression as pg_get_constraintdef. Version-specific columns (confdelsetcols)
-- are read from the row's jsonb so one query serves every server version.
-- A foreign key to a partitioned table has a copy for each partition it references, on the same table,
-- named by the server after the ones that table has when the copy is made (<name>1, 18: <name>_1), so
-- the restore's names follow the order partitions were attached in, not the source's: such a copy is
-- named after the first of its ancestors on its table (the key the user or the table's own
-- partitioning named) and the partition it references.
WITH RECURSIVE ancestors(oid, ancestor, depth) AS (
  SELECT co.oid, co.oid, 0 FROM pg_catalog.pg_constraint co WHERE co.contype = 'f'
  UNION ALL
  SELECT a.oid, p.oid, a.depth + 1
    FROM ancestors a JOIN pg_catalog.pg_constraint c ON c.oid = a.ancestor
    JOIN pg_catalog.pg_constraint p ON p.oid = c.conparentid AND p.conrelid = c.conrelid
), identities AS (
  SELECT farthest.oid, pg_catalog.quote_ident(named.conname) || ' on ' || named.conrelid::pg_catalog.regclass::text
                         || ' referencing ' || co.confrelid::pg_catalog.regclass::text AS identity
    FROM (SELECT DISTINCT ON (a.oid) a.oid, a.ancestor, a.depth FROM ancestors a ORDER BY a.oid, a.depth DESC) AS farthest
    JOIN pg_catalog.pg_constraint co ON co.oid = farthest.oid JOIN pg_catalog.pg_constraint named ON named.oid = farthest.ancestor
   WHERE farthest.depth > 0
)
SELECT i.type, COALESCE(fk.identity, i.identity) AS identity, 'pg_constraint:' || co.oid AS key,
       -- A constraint goes with its table or domain, with the table it references and with the constraint it was cloned from.
       ARRAY[CASE WHEN co.conrelid <> 0 THEN 'pg_class:' || co.conrelid ELSE 'pg_type:' || co.contypid END,
             'pg_class:' || co.confrelid, 'pg_constraint:' || co.conparentid] AS parents,
       (pg_catalog.to_jsonb(co) - ARRAY['oid', 'conname', 'connamespace', 'conrelid', 'contypid', 'conindid', 'conparentid', 'confrelid',
                                         'conkey', 'confkey', 'conpfeqop', 'conppeqop', 'conffeqop', 'conexclop', 'conbin', 'confdelsetcols', 'connoinherit'])
       || pg_catalog.jsonb_build_object(
            'conindid', CASE WHEN co.conindid <> 0 THEN co.conindid::pg_catalog.regclass::text END,
            'conparentid', (SELECT COALESCE(pfk.identity, pg_catalog.quote_ident(p.conname) || ' on ' || p.conrelid::pg_catalog.regclass::text)
                              FROM pg_catalog.pg_constraint p LEFT JOIN identities pfk ON pfk.oid = p.oid WHERE p.oid = co.conparentid),
            'confrelid', CASE WHEN co.confrelid <> 0 THEN co.confrelid::pg_catalog.regclass::text END,
            'conkey', (SELECT pg_catalog.jsonb_agg(a.attname ORDER BY k.ord) FROM pg_catalog.unnest(co.conkey) WITH ORDINALITY AS k(num, ord)
                         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.num),
            'confkey', (SELECT pg_catalog.jsonb_agg(a.attname ORDER BY k.ord) FROM pg_catalog.unnest(co.confkey) WITH ORDINALITY AS k(num, ord)
                          LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.num),
            'confdelsetcols', (SELECT pg_catalog.jsonb_agg(a.attname ORDER BY k.ord)
                                 FROM pg_catalog.jsonb_array_elements_text(CASE WHEN pg_catalog.jsonb_typeof(pg_catalog.to_jsonb(co) -> 'confdelsetcols') = 'array'
                                                                                THEN pg_catalog.to_jsonb(co) -> 'confdelsetcols' ELSE '[]' END) WITH ORDINALITY AS k(num, ord)
                                 LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.num::pg_catalog.int2),
            'conpfeqop', (SELECT pg_catalog.jsonb_agg(k.op::pg_catalog.regoperator::text ORDER BY k.ord) FROM pg_catalog.unnest(co.conpfeqop) WITH ORDINALITY AS k(op, ord)),
            'conppeqop', (SELECT pg_catalog.jsonb_agg(k.op::pg_catalog.regoperator::text ORDER BY k.ord) FROM pg_catalog.unnest(co.conppeqop) WITH ORDINALITY AS k(op, ord)),
            'conffeqop', (SELECT pg_catalog.jsonb_agg(k.op::pg_catalog.regoperator::text ORDER BY k.ord) FROM pg_catalog.unnest(co.conffeqop) WITH ORDINALITY AS k(op, ord)),
            'conexclop', (SELECT pg_catalog.jsonb_agg(k.op::pg_catalog.regoperator::text ORDER BY k.ord) FROM pg_catalog.unnest(co.conexclop) WITH ORDINALITY AS k(op, ord)),
            -- NO INHERIT exists only for CHECK and NOT NULL; on other kinds the flag is bookkeeping that SQL cannot
            -- set (a primary key of a detached partition keeps false where CREATE TABLE gives true).
            'connoinherit', CASE WHEN co.contype IN ('c', 'n') THEN co.connoinherit END,
            'definition', pg_catalog.pg_get_constraintdef(co.oid)) AS props
  FROM pg_catalog.pg_constraint co
  LEFT JOIN identities fk ON fk.oid = co.oid
  LEFT JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
  LEFT JOIN pg_catalog.pg_type t ON t.oid = co.contypid
  JOIN pg_catalog.pg_namespace n ON n.oid = COALESCE(c.relnamespace, t.typnamespace)
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_constraint'::pg_catalog.regclass, co.oid, 0) AS i
 WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.deptype = 'e' AND ((e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = co.conrelid)
                                            OR (e.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND e.objid = co.contypid)))
