import type pg from 'pg';

/**
 * Catalog queries, one per object kind, in the spirit of schemainspect: each returns plain rows
 * that ddl.ts turns into SQL. They all run inside the dump's snapshot transaction, on a session
 * whose search_path is '' so every pg_get_*def / format_type result is schema-qualified.
 *
 * `userObject` filters out system schemas and anything that belongs to an extension (pg_depend
 * deptype 'e'): CREATE EXTENSION recreates those, and dumping them too would fail on restore.
 */
const notExtensionMember = (classTable: string, alias: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '${classTable}'::pg_catalog.regclass AND e.objid = ${alias}.oid AND e.deptype = 'e')`;
const userSchema = (alias: string) =>
  `${alias}.nspname NOT LIKE 'pg\\_%' AND ${alias}.nspname <> 'information_schema'`;

/** One privilege of an ACL, as pg_catalog.aclexplode() returns it: `grantor` gave `grantee` (null: PUBLIC) `privilege`. */
export interface AclPrivilege { grantee: string | null; grantor: string; privilege: string; grantable: boolean }
/**
 * An ACL column as a JSON array of AclPrivilege in the ACL's own order (aclexplode, not the
 * aclitem text: role names may hold `=`, `/`, quotes or spaces); NULL stays NULL (the built-in
 * default), an empty ACL (everything revoked) is [].
 */
const aclPrivileges = (acl: string) => `CASE WHEN ${acl} IS NOT NULL THEN COALESCE(
         (SELECT pg_catalog.json_agg(pg_catalog.json_build_object('grantee', pg_catalog.pg_get_userbyid(NULLIF(item.grantee, 0)),
                  'grantor', pg_catalog.pg_get_userbyid(item.grantor), 'privilege', item.privilege_type, 'grantable', item.is_grantable)
                  ORDER BY item.position)
            FROM pg_catalog.aclexplode(${acl}) WITH ORDINALITY AS item(grantor, grantee, privilege_type, is_grantable, position)), '[]') END`;

export interface ServerInfo {
  versionNum: number;
  version: string;
  database: string;
  encoding: string;
  reservedKeywords: string[];
}

export async function readServerInfo(client: pg.ClientBase): Promise<ServerInfo> {
  const { rows } = await client.query<{ num: string; version: string; db: string; enc: string }>(
    `SELECT pg_catalog.current_setting('server_version_num') AS num, pg_catalog.current_setting('server_version') AS version,
            pg_catalog.current_database() AS db, pg_catalog.pg_encoding_to_char(d.encoding) AS enc
       FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`,
  );
  const keywords = await client.query<{ word: string }>(`SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U'`);
  const row = rows[0]!;
  return {
    versionNum: Number(row.num),
    version: row.version,
    database: row.db,
    encoding: row.enc,
    reservedKeywords: keywords.rows.map((keyword) => keyword.word),
  };
}

export interface SchemaRow { oid: number; name: string; owner: string; acl: AclPrivilege[] | null; comment: string | null }
export const schemasQuery = `
SELECT n.oid::int AS oid, n.nspname AS name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner, ${aclPrivileges('n.nspacl')} AS acl,
       pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment
  FROM pg_catalog.pg_namespace n
 WHERE ${userSchema('n')} AND ${notExtensionMember('pg_namespace', 'n')}
 ORDER BY n.nspname`;

/**
 * `owned`: the dumping role may drop the extension and comment on it (a superuser, or a member of
 * its owner). A non-superuser owner of Immich's database (Immich documents that setup) has its
 * extensions created beforehand by a superuser: it can neither drop them nor comment on them.
 * `defaultComment`: the comment CREATE EXTENSION sets from the control file.
 */
export interface ExtensionRow { oid: number; name: string; schema: string; comment: string | null; owned: boolean; defaultComment: string | null }
export const extensionsQuery = `
SELECT x.oid::int AS oid, x.extname AS name, n.nspname AS schema, pg_catalog.obj_description(x.oid, 'pg_extension') AS comment,
       pg_catalog.pg_has_role(x.extowner, 'USAGE') AS owned, a.comment AS "defaultComment"
  FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
  LEFT JOIN pg_catalog.pg_available_extensions a ON a.name = x.extname
 WHERE x.oid >= 16384
 ORDER BY x.extname`;

export interface TypeRow {
  oid: number; schema: string; name: string; typtype: string; owner: string; acl: AclPrivilege[] | null; comment: string | null;
  labels: string[] | null; basetype: string | null; notnull: boolean; defaultexpr: string | null; collation: string | null;
  relid: number; attributes: Array<{ name: string; type: string; collation: string | null; comment: string | null }> | null;
  domainchecks: Array<{ oid: number; name: string; def: string; validated: boolean; comment: string | null }> | null;
}
export const typesQuery = `
SELECT t.oid::int AS oid, n.nspname AS schema, t.typname AS name, t.typtype, pg_catalog.pg_get_userbyid(t.typowner) AS owner,
       ${aclPrivileges('t.typacl')} AS acl, pg_catalog.obj_description(t.oid, 'pg_type') AS comment,
       (SELECT pg_catalog.array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels,
       CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS basetype,
       t.typnotnull AS notnull, t.typdefault AS defaultexpr,
       CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation
            THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
       t.typrelid::int AS relid,
       CASE WHEN t.typtype = 'c' THEN (
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                  'collation', CASE WHEN a.attcollation <> at.typcollation AND a.attcollation <> 0
                                    THEN pg_catalog.quote_ident(acn.nspname) || '.' || pg_catalog.quote_ident(aco.collname) END,
                  'comment', pg_catalog.col_description(a.attrelid, a.attnum)) ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
           LEFT JOIN pg_catalog.pg_collation aco ON aco.oid = a.attcollation LEFT JOIN pg_catalog.pg_namespace acn ON acn.oid = aco.collnamespace
          WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END AS attributes,
       CASE WHEN t.typtype = 'd' THEN (
         SELECT pg_catalog.json_agg(pg_catalog.json_build_object('oid', c.oid::int, 'name', c.conname, 'def', pg_catalog.pg_get_constraintdef(c.oid),
                  'validated', c.convalidated, 'comment', pg_catalog.obj_description(c.oid, 'pg_constraint')) ORDER BY c.conname)
           FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') END AS domainchecks
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
 WHERE ${userSchema('n')} AND ${notExtensionMember('pg_type', 't')}
   AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c'))
 ORDER BY n.nspname, t.typname`;

export interface FunctionRow {
  oid: number; schema: string; name: string; kind: string; identityArgs: string; definition: string; owner: string;
  acl: AclPrivilege[] | null; comment: string | null;
}
/** pg_get_functiondef deparses SQL-standard bodies (RETURN / BEGIN ATOMIC) with every name qualified. */
export const functionsQuery = `
SELECT p.oid::int AS oid, n.nspname AS schema, p.proname AS name, p.prokind AS kind,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS "identityArgs", pg_catalog.pg_get_functiondef(p.oid) AS definition,
       pg_catalog.pg_get_userbyid(p.proowner) AS owner, ${aclPrivileges('p.proacl')} AS acl, pg_catalog.obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE ${userSchema('n')} AND ${notExtensionMember('pg_proc', 'p')} AND p.prokind IN ('f', 'p', 'w')
 ORDER BY n.nspname, p.proname, 4`;

export interface RelationRow {
  oid: number; schema: string; name: string; relkind: string; persistence: string; options: string[] | null;
  toastOptions: string[] | null; replident: string; rowSecurity: boolean; forceRowSecurity: boolean; isPartition: boolean;
  populated: boolean; owner: string; acl: AclPrivilege[] | null; comment: string | null; viewdef: string | null;
  partitionKey: string | null; partitionBound: string | null; parents: string[] | null;
  /** The same parents' OIDs, in the same (inhseqno) order. */
  parentOids: number[] | null;
}
export const relationsQuery = `
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind, c.relpersistence AS persistence,
       c.reloptions AS options, tc.reloptions AS "toastOptions", c.relreplident AS replident,
       c.relrowsecurity AS "rowSecurity", c.relforcerowsecurity AS "forceRowSecurity", c.relispartition AS "isPartition",
       c.relispopulated AS populated, pg_catalog.pg_get_userbyid(c.relowner) AS owner, ${aclPrivileges('c.relacl')} AS acl,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS "partitionKey",
       CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS "partitionBound",
       (SELECT pg_catalog.array_agg(pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname) ORDER BY i.inhseqno)
          FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid) AS parents,
       (SELECT pg_catalog.array_agg(i.inhparent::int ORDER BY i.inhseqno) FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid) AS "parentOids"
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
 WHERE ${userSchema('n')} AND ${notExtensionMember('pg_class', 'c')} AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
 ORDER BY n.nspname, c.relname`;

export interface ColumnRow {
  relid: number; num: number; name: string; type: string; notNull: boolean; identity: string; generated: string;
  storage: string; typeStorage: string; collation: string | null; defaultExpr: string | null; isLocal: boolean;
  statTarget: number | null; compression: string; options: string[] | null; comment: string | null;
  /** Some parent has NOT NULL on this column (then the child's comes with INHERITS). */
  inheritedNotNull: boolean;
  /** Some parent has a DEFAULT on this column (a child created with INHERITS takes it). */
  inheritedDefault: boolean;
  acl: AclPrivilege[] | null;
  /** 18+: the column's NOT NULL constraint (pg_constraint contype 'n'); null before 18 or without one. */
  notNullConstraint: NotNullConstraint | null;
}
export interface NotNullConstraint {
  oid: number; name: string; local: boolean; inherited: boolean; validated: boolean; noInherit: boolean; comment: string | null;
}
export const columnsQuery = (versionNum: number) => `
SELECT a.attrelid::int AS relid, a.attnum AS num, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS "notNull", a.attidentity AS identity, a.attgenerated AS generated, a.attstorage AS storage,
       t.typstorage AS "typeStorage",
       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
            THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "defaultExpr", a.attislocal AS "isLocal",
       a.attstattarget::int AS "statTarget", ${versionNum >= 140000 ? 'a.attcompression::text' : "''"} AS compression,
       a.attoptions AS options, pg_catalog.col_description(a.attrelid, a.attnum) AS comment, ${aclPrivileges('a.attacl')} AS acl,
       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
                WHERE i.inhrelid = a.attrelid AND pa.attnotnull AND NOT pa.attisdropped) AS "inheritedNotNull",
       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
                WHERE i.inhrelid = a.attrelid AND pa.atthasdef AND NOT pa.attisdropped) AS "inheritedDefault",
       ${versionNum >= 180000 ? `(SELECT pg_catalog.json_build_object('oid', nn.oid::int, 'name', nn.conname, 'local', nn.conislocal,
                  'inherited', nn.coninhcount > 0, 'validated', nn.convalidated, 'noInherit', nn.connoinherit,
                  'comment', pg_catalog.obj_description(nn.oid, 'pg_constraint'))
           FROM pg_catalog.pg_constraint nn WHERE nn.conrelid = a.attrelid AND nn.contype = 'n' AND nn.conkey[1] = a.attnum)` : 'NULL'} AS "notNullConstraint"
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm')
   AND ${userSchema('n')} AND ${notExtensionMember('pg_class', 'c')}
 ORDER BY a.attrelid, a.attnum`;

export interface SequenceRow {
  oid: number; schema: string; name: string; type: string; start: string; increment: string; min: string; max: string;
  cache: string; cycle: boolean; ownedByTable: number | null; ownedByColumn: string | null; identity: boolean;
  /** relpersistence: 'u' for an unlogged sequence. */
  persistence: string;
}
export const sequencesQuery = `
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, pg_catalog.format_type(s.seqtypid, NULL) AS type,
       s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max,
       s.seqcache::text AS cache, s.seqcycle AS cycle, c.relpersistence AS persistence,
       d.refobjid::int AS "ownedByTable", a.attname AS "ownedByColumn", COALESCE(d.deptype = 'i', false) AS identity
  FROM pg_catalog.pg_sequence s
  JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
        AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE ${userSchema('n')} AND ${notExtensionMember('pg_class', 'c')}
 ORDER BY n.nspname, c.relname`;

export interface ConstraintRow {
  oid: number; relid: number; typid: number; schema: string; table: string; name: string; type: string;
  definition: string; validated: boolean; isLocal: boolean; inheritCount: number; indexId: number; comment: string | null;
  partitionedTable: boolean;
  /** The backing index (PK / UNIQUE / EXCLUDE): what pg_get_constraintdef leaves out of the constraint's text. */
  index: BackingIndex | null;
}
/** Properties of an index that are not part of its definition text: storage parameters, tablespace, CLUSTER, etc. */
export interface IndexProperties {
  options: string[] | null; tablespace: string | null; clustered: boolean; replident: boolean;
  /** Per-column statistics targets (only expression columns can have one). */
  statistics: Array<{ num: number; target: number }> | null;
}
export interface BackingIndex extends IndexProperties { name: string; comment: string | null }
const indexPropertiesSql = (index: string, indexClass: string) => `
       ${indexClass}.reloptions AS options,
       (SELECT ts.spcname FROM pg_catalog.pg_tablespace ts WHERE ts.oid = ${indexClass}.reltablespace) AS tablespace,
       ${index}.indisclustered AS clustered, ${index}.indisreplident AS replident,
       (SELECT pg_catalog.json_agg(pg_catalog.json_build_object('num', ia.attnum, 'target', ia.attstattarget) ORDER BY ia.attnum)
          FROM pg_catalog.pg_attribute ia WHERE ia.attrelid = ${index}.indexrelid AND ia.attstattarget >= 0) AS statistics`;
/**
 * Table constraints, except NOT NULL rows (18+), which are column properties here, partition
 * clones, and constraint triggers (contype 't': the trigger is the object, written as CREATE
 * CONSTRAINT TRIGGER by pg_get_triggerdef).
 */
export const constraintsQuery = (versionNum: number) => `
SELECT co.oid::int AS oid, co.conrelid::int AS relid, co.contypid::int AS typid, n.nspname AS schema, c.relname AS table,
       co.conname AS name, co.contype AS type, pg_catalog.pg_get_constraintdef(co.oid) AS definition,
       co.convalidated AS validated, co.conislocal AS "isLocal", co.coninhcount::int AS "inheritCount", co.conindid::int AS "indexId",
       pg_catalog.obj_description(co.oid, 'pg_constraint') AS comment, c.relkind = 'p' AS "partitionedTable",
       CASE WHEN co.contype IN ('p', 'u', 'x') THEN (
         SELECT pg_catalog.row_to_json(backing) FROM (
           SELECT ic.relname AS name, pg_catalog.obj_description(ic.oid, 'pg_class') AS comment, ${indexPropertiesSql('i', 'ic')}
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indexrelid = co.conindid) AS backing) END AS index
  FROM pg_catalog.pg_constraint co
  JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${userSchema('n')} AND ${notExtensionMember('pg_class', 'c')} AND co.conparentid = 0 AND co.contype <> 't'
   ${versionNum >= 180000 ? "AND co.contype <> 'n'" : ''}
 ORDER BY n.nspname, c.relname, co.conname`;

export interface IndexRow extends IndexProperties {
  oid: number; relid: number; schema: string; name: string; table: string; definition: string;
  comment: string | null; parentIndex: number | null;
}
/** Indexes that are not backing a constraint and are valid (a failed CREATE INDEX CONCURRENTLY leaves an invalid one). */
export const indexesQuery = `
SELECT i.indexrelid::int AS oid, i.indrelid::int AS relid, n.nspname AS schema, ic.relname AS name, tc.relname AS table,
       pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
       pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment, ${indexPropertiesSql('i', 'ic')},
       (SELECT inhparent::int FROM pg_catalog.pg_inherits WHERE inhrelid = i.indexrelid) AS "parentIndex"
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
 WHERE ${userSchema('n')} AND ${notExtensionMember('pg_class', 'tc')}
   AND (i.indisvalid OR tc.relkind = 'p') AND i.indisready
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid AND co.contype IN ('p', 'u', 'x'))
 ORDER BY n.nspname, ic.relname`;

export interface TriggerRow {
  oid: number; relid: number; schema: string; table: string; name: string; definition: string; enabled: string; comment: string | null;
}
export const triggersQuery = `
SELECT t.oid::int AS oid, t.tgrelid::int AS relid, n.nspname AS schema, c.relname AS table, t.tgname AS name,
       pg_catalog.pg_get_triggerdef(t.oid, false) AS definition, t.tgenabled AS enabled,
       pg_catalog.obj_description(t.oid, 'pg_trigger') AS comment
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND ${userSchema('n')} AND ${notExtensionMember('pg_class', 'c')}
 ORDER BY n.nspname, c.relname, t.tgname`;

export interface RuleRow { oid: number; relid: number; schema: string; table: string; name: string; definition: string; enabled: string; comment: string | null }
/** Rules other than a view's own _RETURN rule (that one is the view definition). */
export const rulesQuery = `
SELECT r.oid::int AS oid, r.ev_class::int AS relid, n.nspname AS schema, c.relname AS table, r.rulename AS name,
       pg_catalog.pg_get_ruledef(r.oid) AS definition, r.ev_enabled AS enabled, pg_catalog.obj_description(r.oid, 'pg_rewrite') AS comment
  FROM pg_catalog.pg_rewrite r
  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE r.rulename <> '_RETURN' AND ${userSchema('n')} AND ${notExtensionMember('pg_class', 'c')}
 ORDER BY n.nspname, c.relname, r.rulename`;

export interface PolicyRow {
  oid: number; relid: number; schema: string; table: string; name: string; permissive: boolean; command: string;
  roles: string[] | null; qual: string | null; withCheck: string | null; comment: string | null;
}
export const policiesQuery = `
SELECT p.oid::int AS oid, p.polrelid::int AS relid, n.nspname AS schema, c.relname AS table, p.polname AS name,
       p.polpermissive AS permissive, p.polcmd AS command,
       CASE WHEN p.polroles = '{0}' THEN NULL ELSE
         (SELECT pg_catalog.array_agg(pg_catalog.quote_ident(r.rolname) ORDER BY r.rolname) FROM pg_catalog.pg_roles r WHERE r.oid = ANY (p.polroles)) END AS roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual, pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS "withCheck",
       pg_catalog.obj_description(p.oid, 'pg_policy') AS comment
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${userSchema('n')} AND ${notExtensionMember('pg_class', 'c')}
 ORDER BY n.nspname, c.relname, p.polname`;

export interface DependencyRow { classid: string; objid: number; refclassid: string; refobjid: number; deptype: string }
/** Every dependency edge between user objects, as (catalog, oid) pairs; column-level detail is dropped as in pg_dump. */
export const dependenciesQuery = `
SELECT DISTINCT d.classid::regclass::text AS classid, d.objid::int AS objid, d.refclassid::regclass::text AS refclassid,
       d.refobjid::int AS refobjid, d.deptype
  FROM pg_catalog.pg_depend d
 WHERE d.deptype NOT IN ('p', 'e') AND d.objid >= 16384 AND d.refobjid >= 16384`;

export interface ExtensionMemberRow { classid: string; objid: number; extension: number }
export const extensionMembersQuery = `
SELECT d.classid::regclass::text AS classid, d.objid::int AS objid, d.refobjid::int AS extension
  FROM pg_catalog.pg_depend d
 WHERE d.deptype = 'e' AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass`;

export interface ArrayTypeRow { oid: number; element: number }
export const arrayTypesQuery = `
SELECT t.oid::int AS oid, t.typelem::int AS element FROM pg_catalog.pg_type t
 WHERE t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc AND t.oid >= 16384`;

export interface RowTypeRow { oid: number; relid: number }
export const rowTypesQuery = `SELECT t.oid::int AS oid, t.typrelid::int AS relid FROM pg_catalog.pg_type t WHERE t.typrelid <> 0 AND t.oid >= 16384`;

export interface DatabaseSettingRow { setting: string }
/** `ALTER DATABASE ... SET` settings for every role (setrole = 0): pg_dump without --create loses these. */
export const databaseSettingsQuery = `
SELECT pg_catalog.unnest(s.setconfig) AS setting
  FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
 WHERE d.datname = pg_catalog.current_database() AND s.setrole = 0`;

export interface BuiltinAclRow {
  classid: string; oid: number; subid: number; kind: string; target: string; column: string | null; owner: string;
  acl: AclPrivilege[]; baseline: AclPrivilege[];
}
/**
 * Privileges changed on objects the dump does not create: built-in ones (OID below 16384: a
 * pg_catalog function, the plpgsql language, the public schema...) and extension members, plus
 * their columns. The baseline is what the object had when initdb or CREATE EXTENSION made it
 * (pg_init_privs), else the built-in default (acldefault); a NULL ACL means that default.
 */
export const builtinAclsQuery = `
WITH objects AS (
  SELECT 'pg_proc' AS classid, p.oid, 0 AS subid, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS kind,
         pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS target,
         NULL::text AS "column", p.proacl AS acl, pg_catalog.acldefault('f', p.proowner) AS defaults, p.proowner AS owner
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  UNION ALL
  SELECT 'pg_class', c.oid, 0, CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
         pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), NULL, c.relacl,
         pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner), c.relowner
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  UNION ALL
  SELECT 'pg_class', c.oid, a.attnum, 'TABLE', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), a.attname,
         a.attacl, NULL, c.relowner
    FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  UNION ALL
  SELECT 'pg_type', t.oid, 0, 'TYPE', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname), NULL, t.typacl,
         pg_catalog.acldefault('T', t.typowner), t.typowner
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE NOT (t.typelem <> 0 AND t.typsubscript = 'pg_catalog.array_subscript_handler'::pg_catalog.regproc)
  UNION ALL
  SELECT 'pg_namespace', n.oid, 0, 'SCHEMA', pg_catalog.quote_ident(n.nspname), NULL, n.nspacl, pg_catalog.acldefault('n', n.nspowner), n.nspowner
    FROM pg_catalog.pg_namespace n
  UNION ALL
  SELECT 'pg_language', l.oid, 0, 'LANGUAGE', pg_catalog.quote_ident(l.lanname), NULL, l.lanacl, pg_catalog.acldefault('l', l.lanowner), l.lanowner
    FROM pg_catalog.pg_language l
  UNION ALL
  SELECT 'pg_foreign_data_wrapper', w.oid, 0, 'FOREIGN DATA WRAPPER', pg_catalog.quote_ident(w.fdwname), NULL, w.fdwacl,
         pg_catalog.acldefault('F', w.fdwowner), w.fdwowner
    FROM pg_catalog.pg_foreign_data_wrapper w
  UNION ALL
  SELECT 'pg_foreign_server', s.oid, 0, 'FOREIGN SERVER', pg_catalog.quote_ident(s.srvname), NULL, s.srvacl,
         pg_catalog.acldefault('S', s.srvowner), s.srvowner
    FROM pg_catalog.pg_foreign_server s
)
SELECT o.classid, o.oid::int AS oid, o.subid::int AS subid, o.kind, o.target, o."column", pg_catalog.pg_get_userbyid(o.owner) AS owner,
       COALESCE(${aclPrivileges('COALESCE(o.acl, o.defaults)')}, '[]') AS acl,
       COALESCE(${aclPrivileges('COALESCE(ip.initprivs, o.defaults)')}, '[]') AS baseline
  FROM objects o
  LEFT JOIN pg_catalog.pg_init_privs ip ON ip.classoid = o.classid::pg_catalog.regclass AND ip.objoid = o.oid AND ip.objsubid = o.subid
 WHERE (o.oid < 16384 OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                                  WHERE e.classid = o.classid::pg_catalog.regclass AND e.objid = o.oid AND e.deptype = 'e'))
   AND COALESCE(o.acl, o.defaults) IS DISTINCT FROM COALESCE(ip.initprivs, o.defaults)
 ORDER BY o.classid, o.target, o.subid`;

export interface DefaultAclRow { oid: number; role: string; schema: string | null; objtype: string; acl: AclPrivilege[]; baseline: AclPrivilege[] }
/** ALTER DEFAULT PRIVILEGES: global rows differ from the built-in default, per-schema rows from nothing. */
export const defaultAclsQuery = `
SELECT d.oid::int AS oid, pg_catalog.pg_get_userbyid(d.defaclrole) AS role, n.nspname AS schema, d.defaclobjtype AS objtype,
       COALESCE(${aclPrivileges('d.defaclacl')}, '[]') AS acl,
       CASE WHEN d.defaclnamespace = 0
            THEN ${aclPrivileges(`pg_catalog.acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END::"char", d.defaclrole)`)}
            ELSE '[]' END AS baseline
  FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
 ORDER BY 2, 3 NULLS FIRST, 4`;
