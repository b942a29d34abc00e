-- Large objects: size and a digest of the contents (md5 chained over 1 MiB reads, so neither side
-- ever holds a whole object: lo_get of one over 1 GB would fail anyway), comment, and with --owner
-- owner and privileges. An OID may be below 16384 (lo_create(3001)), so none is left out by OID.
SELECT i.type, i.identity, 'pg_largeobject:' || l.oid AS key, ARRAY[]::text[] AS parents,
       pg_catalog.jsonb_build_object('size', contents.size, 'digest', contents.digest,
                                     'comment', pg_catalog.obj_description(l.oid, 'pg_largeobject'))
       || CASE WHEN $1 THEN pg_catalog.jsonb_build_object(
            'owner', pg_catalog.pg_get_userbyid(l.lomowner),
            'acl', (SELECT pg_catalog.jsonb_agg(item ORDER BY item) FROM pg_catalog.unnest(COALESCE(l.lomacl, pg_catalog.acldefault('L'::"char", l.lomowner))::text[]) AS item))
          ELSE '{}'::pg_catalog.jsonb END AS props
  FROM pg_catalog.pg_largeobject_metadata l
 CROSS JOIN LATERAL pg_catalog.pg_identify_object('pg_catalog.pg_largeobject'::pg_catalog.regclass, l.oid, 0) AS i
 CROSS JOIN LATERAL (
   WITH RECURSIVE chunk(start, more, size, digest) AS (
     SELECT 0::pg_catalog.int8, true, 0::pg_catalog.int8, ''::text
     UNION ALL
     SELECT chunk.start + 1048576, pg_catalog.octet_length(piece.bytes) = 1048576, chunk.size + pg_catalog.octet_length(piece.bytes),
            pg_catalog.md5(chunk.digest || pg_catalog.md5(piece.bytes))
       FROM chunk CROSS JOIN LATERAL (SELECT pg_catalog.lo_get(l.oid, chunk.start, 1048576) AS bytes) AS piece
      WHERE chunk.more)
   SELECT chunk.size, chunk.digest FROM chunk WHERE NOT chunk.more) AS contents
