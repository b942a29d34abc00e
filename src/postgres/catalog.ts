import { readFileSync } from 'node:fs';
import type pg from 'pg';

/**
 * Catalog queries, one per object kind, in the spirit of schemainspect: each is a file
 * src/postgres/catalog/<kind>.sql (copied beside the build's output by scripts/copy-assets.ts)
 * returning plain rows, typed here, that ddl/ turns into SQL. They all run inside the dump's
 * snapshot transaction, on a session whose search_path is '' so every pg_get_*def / format_type
 * result is schema-qualified. Each filters out system schemas and anything that belongs to an
 * extension (pg_depend deptype 'e'): CREATE EXTENSION recreates those, and dumping them too would
 * fail on restore.
 *
 * The files have no version branches and no placeholders: they are written for PostgreSQL 14, the
 * oldest release the dump reads (typsubscript, attcompression), and a catalog property a later
 * release added is read so that older releases simply have none (18's NOT NULL constraint rows,
 * contype 'n': none exist before 18). So each file is the exact text sent to the server.
 */
function catalogQuery(kind: string): string {
  return readFileSync(new URL(`./catalog/${kind}.sql`, import.meta.url), 'utf8');
}

/** One privilege of an ACL, as pg_catalog.aclexplode() returns it: `grantor` gave `grantee` (null: PUBLIC) `privilege`. */
export interface AclPrivilege { grantee: string | null; grantor: string; privilege: string; grantable: boolean }

export interface ServerInfo {
  versionNum: number;
  version: string;
  database: string;
  encoding: string;
  reservedKeywords: string[];
  /** The role may read pg_subscription.subconninfo, so subscriptions can be written. */
  canReadSubscriptions: boolean;
}

const serverQuery = catalogQuery('server');
const reservedKeywordsQuery = catalogQuery('reserved-keywords');

export async function readServerInfo(client: pg.ClientBase): Promise<ServerInfo> {
  const { rows } = await client.query<{ num: string; version: string; db: string; enc: string; subscriptions: boolean }>(serverQuery);
  const keywords = await client.query<{ word: string }>(reservedKeywordsQuery);
  const row = rows[0]!;
  return {
    versionNum: Number(row.num),
    version: row.version,
    database: row.db,
    encoding: row.enc,
    reservedKeywords: keywords.rows.map((keyword) => keyword.word),
    canReadSubscriptions: row.subscriptions,
  };
}

export interface SchemaRow { oid: number; name: string; owner: string; acl: AclPrivilege[] | null; comment: string | null }
export const schemasQuery = catalogQuery('schemas');

export interface ExtensionRow { oid: number; name: string; schema: string; comment: string | null; owned: boolean; defaultComment: string | null }
export const extensionsQuery = catalogQuery('extensions');

export interface CollationRow {
  oid: number; schema: string; name: string;
  /** collprovider: 'c' libc, 'i' ICU, 'b' builtin (17+), 'd' the database default (pg_catalog only). */
  provider: string; deterministic: boolean;
  /** collcollate / collctype: a libc collation's locale (and, up to 14, an ICU one's); null from 15 for other providers. */
  lcCollate: string | null; lcCtype: string | null;
  /** An ICU (15+) or builtin (17+) collation's locale: colliculocale (15-16), colllocale (17+). */
  locale: string | null;
  /** collicurules (16+). */
  rules: string | null; owner: string; comment: string | null;
}
export const collationsQuery = catalogQuery('collations');

export interface TypeRow {
  oid: number; schema: string; name: string; typtype: string; owner: string; acl: AclPrivilege[] | null; comment: string | null;
  labels: string[] | null; basetype: string | null; notnull: boolean; defaultexpr: string | null; collation: string | null;
  relid: number; attributes: Array<{ name: string; type: string; collation: string | null; comment: string | null }> | null;
  domainchecks: Array<{ oid: number; name: string; def: string; validated: boolean; comment: string | null }> | null;
  /** 17+: a domain's NOT NULL is a pg_constraint row with a name and maybe a comment (before 17, typnotnull alone). */
  notnullconstraint: { name: string; comment: string | null } | null;
  /** A range type's definition: [schema, name] pairs, functions by regproc; null for other types. */
  range: {
    subtype: string; multirange: [string, string]; opclass: [string, string] | null; collation: [string, string] | null;
    canonical: string | null; subtypeDiff: string | null;
  } | null;
  /** A base type's definition: functions by regproc (null: none), pg_type's own codes for align and storage; null for other types. */
  base: {
    length: number; input: string; output: string; receive: string | null; send: string | null; typmodIn: string | null;
    typmodOut: string | null; analyze: string | null; subscript: string | null;
    /** OIDs of every function named above. */
    functions: number[];
    collatable: boolean; defaultExpr: string | null; default: string | null; element: string | null; category: string;
    preferred: boolean; delimiter: string; align: string; storage: string; byValue: boolean;
  } | null;
}
export const typesQuery = catalogQuery('types');

export interface CastRow {
  oid: number;
  /** Source and target types, as format_type writes them. */
  source: string; target: string;
  /** castmethod: 'f' a function, 'i' I/O conversion, 'b' binary-coercible. */
  method: string;
  /** castcontext: 'e' explicit, 'a' assignment, 'i' implicit. */
  context: string;
  functionSchema: string | null; functionName: string | null;
  /** The function's argument types (oidvectortypes). */
  functionArgs: string | null; comment: string | null;
  /** Casts WITHOUT FUNCTION through which the function's types coerce to the cast's: created first. */
  needsCasts: number[];
}
export const castsQuery = catalogQuery('casts');

export interface AggregateRow {
  oid: number; schema: string; name: string;
  /** aggkind: 'n' normal, 'o' ordered-set, 'h' hypothetical-set. */
  kind: string;
  /** pg_get_function_arguments (with ORDER BY for ordered-set ones) and the identity arguments; '' for none. */
  args: string; identityArgs: string;
  transFunction: string; transType: string; transSpace: number; initialValue: string | null;
  finalFunction: string | null; finalExtra: boolean;
  /** aggfinalmodify: 'r' read only, 's' shareable, 'w' read write. */
  finalModify: string;
  combineFunction: string | null; serialFunction: string | null; deserialFunction: string | null;
  movingTransFunction: string | null; movingInverseFunction: string | null; movingTransType: string | null;
  movingTransSpace: number; movingInitialValue: string | null;
  movingFinalFunction: string | null; movingFinalExtra: boolean; movingFinalModify: string;
  /** [schema, name] of the sort operator, or null. */
  sortOperator: [string, string] | null;
  /** proparallel: 's' safe, 'r' restricted, 'u' unsafe. */
  parallel: string; owner: string; acl: AclPrivilege[] | null; comment: string | null;
}
export const aggregatesQuery = catalogQuery('aggregates');

export interface AccessMethodRow {
  oid: number; name: string;
  /** amtype: 'i' index, 't' table. */
  type: string; handler: string; comment: string | null;
}
export const accessMethodsQuery = catalogQuery('access-methods');

export interface TransformRow {
  oid: number; type: string; language: string;
  /** Schema-qualified name and argument types, null when the transform has none. */
  fromSql: string | null; toSql: string | null; comment: string | null;
}
export const transformsQuery = catalogQuery('transforms');

export interface SubscriptionRow {
  oid: number; name: string; owner: string;
  /** The connection string: may hold a password (it is written into the script, never logged). */
  conninfo: string;
  slotName: string | null; synchronousCommit: string; publications: string[]; binary: boolean;
  /** 'f' off, 't' on, 'p' parallel. */
  streaming: string;
  twoPhase: boolean; disableOnError: boolean; passwordRequired: boolean; runAsOwner: boolean; failover: boolean; origin: string;
  comment: string | null;
}
export const subscriptionsQuery = catalogQuery('subscriptions');

export interface ConversionRow {
  oid: number; schema: string; name: string; isDefault: boolean;
  /** Source and target encodings by name. */
  from: string; to: string;
  /** regproc text. */
  function: string; owner: string; comment: string | null;
}
export const conversionsQuery = catalogQuery('conversions');

export interface TextSearchParserRow {
  oid: number; schema: string; name: string;
  /** Functions by regproc text; headline null when the parser has none. */
  start: string; getToken: string; end: string; headline: string | null; lexTypes: string; comment: string | null;
}
export const textSearchParsersQuery = catalogQuery('text-search-parsers');

export interface TextSearchTemplateRow {
  oid: number; schema: string; name: string;
  /** Functions by regproc text; init null when the template has none. */
  init: string | null; lexize: string; comment: string | null;
}
export const textSearchTemplatesQuery = catalogQuery('text-search-templates');

export interface OperatorRow {
  oid: number; schema: string; name: string;
  /** oprkind: 'b' infix, 'l' prefix. */
  kind: string;
  leftType: string; rightType: string; function: string; restrict: string | null; join: string | null;
  /** [schema, name] of the commutator and negator operators, or null. */
  commutator: [string, string] | null; negator: [string, string] | null;
  merges: boolean; hashes: boolean; owner: string; comment: string | null;
}
export const operatorsQuery = catalogQuery('operators');

export interface OperatorFamilyRow {
  oid: number; schema: string; name: string; method: string;
  /** Made by CREATE OPERATOR CLASS of its name and left to it (see the query). */
  implicit: boolean; owner: string; comment: string | null;
}
export const operatorFamiliesQuery = catalogQuery('operator-families');

export interface OperatorClassRow {
  oid: number; schema: string; name: string; method: string; default: boolean; type: string; storage: string | null;
  /** [schema, name] of its family when not the one of its own name and schema, else null. */
  family: [string, string] | null;
  familyOid: number; owner: string; comment: string | null;
}
export const operatorClassesQuery = catalogQuery('operator-classes');

/** An operator (pg_amop) or support function (pg_amproc) of the operator class or family `refclassid:refobjid`. */
export interface OperatorMemberRow {
  classid: string; objid: number; refclassid: string; refobjid: number;
  /** Strategy number of an operator, support number of a function. */
  number: number;
  /** The operator (regoperator) or function (regprocedure). */
  member: string;
  /** The types a support function is registered for; null for operators. */
  leftType: string | null; rightType: string | null;
  /** An ordering operator's sort family [schema, name]. */
  sortFamily: [string, string] | null;
}
export const operatorMembersQuery = catalogQuery('operator-members');

export interface FunctionRow {
  oid: number; schema: string; name: string; kind: string; identityArgs: string; definition: string; owner: string;
  acl: AclPrivilege[] | null; comment: string | null;
  /** The $n that the definition's "" stands for (see functions.sql), or null. */
  unnamedParameter: number | null;
}
export const functionsQuery = catalogQuery('functions');

export interface TextSearchDictionaryRow {
  oid: number; schema: string; name: string; templateSchema: string; template: string;
  /** dictinitoption: the options as SQL, or null. */
  options: string | null; owner: string; comment: string | null;
}
export const textSearchDictionariesQuery = catalogQuery('text-search-dictionaries');

export interface TextSearchConfigurationRow {
  oid: number; schema: string; name: string; parserSchema: string; parser: string;
  /** Per token type (the parser's alias for it), the dictionaries in order, each already qualified; null: no mappings. */
  mappings: Array<{ token: string; dictionaries: string[] }> | null; owner: string; comment: string | null;
}
export const textSearchConfigurationsQuery = catalogQuery('text-search-configurations');

export interface ForeignDataWrapperRow {
  oid: number; name: string;
  /** Handler and validator functions (regproc), or null. */
  handler: string | null; validator: string | null;
  /** (name, value) pairs in name order, or null. */
  options: Array<[string, string]> | null; owner: string; acl: AclPrivilege[] | null; comment: string | null;
}
export const foreignDataWrappersQuery = catalogQuery('foreign-data-wrappers');

export interface ForeignServerRow {
  oid: number; name: string; wrapper: string; type: string | null; version: string | null;
  options: Array<[string, string]> | null; owner: string; acl: AclPrivilege[] | null; comment: string | null;
}
export const foreignServersQuery = catalogQuery('foreign-servers');

export interface UserMappingRow {
  oid: number; server: string;
  /** The mapped role, or 'public' for FOR PUBLIC. */
  role: string;
  /** (name, value) pairs: may hold a password, never log them. */
  options: Array<[string, string]> | null;
}
export const userMappingsQuery = catalogQuery('user-mappings');

/** A large object's metadata; its contents are read in the data section (large-object-data.ts). */
export interface LargeObjectRow { oid: number; owner: string; acl: AclPrivilege[] | null; comment: string | null }
export const largeObjectsQuery = catalogQuery('large-objects');

export interface RelationRow {
  oid: number; schema: string; name: string; relkind: string; persistence: string; options: string[] | null;
  toastOptions: string[] | null; replident: string; rowSecurity: boolean; forceRowSecurity: boolean; isPartition: boolean;
  populated: boolean; owner: string; acl: AclPrivilege[] | null; comment: string | null; viewdef: string | null;
  /** The ACL gives the owner every privilege the server has for the relation (what acldefault gives it). */
  ownerHasAll?: boolean;
  partitionKey: string | null; partitionBound: string | null; parents: string[] | null;
  /** The same parents' OIDs, in the same (inhseqno) order. */
  parentOids: number[] | null;
  /** A partition whose rows are loaded through the root of its tree (hash partitioning on an enum): the root's OID; else null. */
  loadViaRoot: number | null;
  /** A typed table's composite type, as format_type writes it, and its OID; null for other relations. */
  ofType: string | null; ofTypeOid: number | null;
  /** A table's or materialized view's access method, when not heap; null otherwise. */
  accessMethod: string | null;
  /** The relation's tablespace when not the database's default; null otherwise. */
  tablespace: string | null;
  /** A foreign table's server, and its options as (name, value) pairs in their stored order; null for other relations. */
  foreignServer: string | null; foreignOptions: Array<[string, string]> | null;
}
export const relationsQuery = catalogQuery('relations');

export interface ColumnRow {
  relid: number; num: number; name: string; type: string; notNull: boolean; identity: string; generated: string;
  storage: string; typeStorage: string; collation: string | null; defaultExpr: string | null; isLocal: boolean;
  statTarget: number | null; compression: string; options: string[] | null; comment: string | null;
  /** A foreign table column's options (attfdwoptions) as (name, value) pairs in their stored order, or null. */
  foreignOptions: Array<[string, string]> | null;
  /** Some parent has NOT NULL on this column (then the child's comes with INHERITS). */
  inheritedNotNull: boolean;
  /** Some parent has a DEFAULT on this column (a child created with INHERITS takes it). */
  inheritedDefault: boolean;
  /**
   * A generated column that some parent generates by the same expression and none by another:
   * INHERITS gives the child that expression. Otherwise (16+ lets a child have its own) the child's
   * is written, as pg_dump does.
   */
  generationFromParent: boolean;
  acl: AclPrivilege[] | null;
  /** 18+: the column's NOT NULL constraint (pg_constraint contype 'n'); null before 18 or without one. */
  notNullConstraint: NotNullConstraint | null;
}
export interface NotNullConstraint {
  oid: number; name: string; local: boolean; inherited: boolean; validated: boolean; noInherit: boolean; comment: string | null;
  /** The name CREATE TABLE ... INHERITS gives the column's constraint (the first parent's valid one), or null when none comes with it. */
  inheritedName: string | null;
}
export const columnsQuery = catalogQuery('columns');

export interface SequenceRow {
  oid: number; schema: string; name: string; type: string; start: string; increment: string; min: string; max: string;
  cache: string; cycle: boolean; ownedByTable: number | null; ownedByColumn: string | null; identity: boolean;
  /** relpersistence: 'u' for an unlogged sequence. */
  persistence: string;
}
export const sequencesQuery = catalogQuery('sequences');

export interface ConstraintRow {
  oid: number; relid: number; typid: number; schema: string; table: string; name: string; type: string;
  definition: string; validated: boolean; isLocal: boolean; inheritCount: number; indexId: number; comment: string | null;
  partitionedTable: boolean;
  /** A partition's PK / UNIQUE / EXCLUDE: the partitioned index its backing index is attached to. */
  parentIndex: number | null;
  /** 18: false for a NOT ENFORCED CHECK or FOREIGN KEY (which is also never validated). */
  enforced: boolean;
  /** An EXCLUDE constraint, or (18) a PRIMARY KEY / UNIQUE ... WITHOUT OVERLAPS (see isMadeByParentKey). */
  exclusionIndex: boolean;
  /** A partition's PK / UNIQUE / EXCLUDE: the parent table's key it belongs to. */
  parentKey: { oid: number; schema: string; table: string; name: string } | null;
  /** The backing index (PK / UNIQUE / EXCLUDE): what pg_get_constraintdef leaves out of the constraint's text. */
  index: BackingIndex | null;
}

/**
 * PostgreSQL (17 and 18, which allow them on partitioned tables) cannot attach a partition's
 * EXCLUDE constraint or key WITHOUT OVERLAPS to its parent's (ALTER INDEX ... ATTACH PARTITION:
 * "index definitions do not match"; ATTACH PARTITION of a table that has one: "multiple primary
 * keys"): their indexes use exclusion operators, which the match does not accept. So pg_dump's way,
 * the parent's with ONLY, each partition's and their INDEX ATTACHes, fails to restore. A source can
 * only have made them from the parent's, so the dump does the same: the partitioned table's is added
 * without ONLY, which makes every partition's (no INDEX ATTACH is written for them), and each
 * partition's gets its source name back.
 */
export const isMadeByParentKey = (row: ConstraintRow) => row.exclusionIndex && row.parentKey !== null;
/** Properties of an index that are not part of its definition text: storage parameters, tablespace, CLUSTER, etc. */
export interface IndexProperties {
  options: string[] | null; tablespace: string | null; clustered: boolean; replident: boolean;
  /** Per-column statistics targets (only expression columns can have one). */
  statistics: Array<{ num: number; target: number }> | null;
}
export interface BackingIndex extends IndexProperties { name: string; comment: string | null }
export const constraintsQuery = catalogQuery('constraints');

export interface IndexRow extends IndexProperties {
  oid: number; relid: number; schema: string; name: string; table: string; definition: string;
  comment: string | null; parentIndex: number | null;
}
export const indexesQuery = catalogQuery('indexes');

export interface StatisticsRow {
  oid: number; schema: string; name: string; table: string; definition: string;
  /** Set with ALTER STATISTICS ... SET STATISTICS; null: the default. */
  statTarget: number | null; owner: string; comment: string | null;
}
export const statisticsQuery = catalogQuery('statistics');

export interface EventTriggerRow {
  oid: number; name: string; event: string;
  /** WHEN TAG IN's list, each tag already a literal; null: every command. */
  tags: string | null;
  /** The function, schema-qualified (regproc). */
  function: string; enabled: string; owner: string; comment: string | null;
}
export const eventTriggersQuery = catalogQuery('event-triggers');

export interface TriggerRow {
  oid: number; relid: number; schema: string; table: string; name: string; definition: string; enabled: string; comment: string | null;
  /** A partition's clone of this trigger (written only when its enabled state differs). */
  parentTrigger: number | null;
}
export const triggersQuery = catalogQuery('triggers');

export interface RuleRow { oid: number; relid: number; schema: string; table: string; name: string; definition: string; enabled: string; comment: string | null }
export const rulesQuery = catalogQuery('rules');

export interface PolicyRow {
  oid: number; relid: number; schema: string; table: string; name: string; permissive: boolean; command: string;
  roles: string[] | null; qual: string | null; withCheck: string | null; comment: string | null;
}
export const policiesQuery = catalogQuery('policies');

export interface PublicationRow {
  oid: number; name: string; allTables: boolean; insert: boolean; update: boolean; delete: boolean; truncate: boolean;
  viaRoot: boolean;
  /** pubgencols (18+): 's' publishes stored generated columns; null before 18. */
  generatedColumns: string | null; owner: string; comment: string | null;
}
export const publicationsQuery = catalogQuery('publications');

export interface PublicationTableRow {
  oid: number; publication: string; schema: string; table: string;
  /** The published columns (15+), null: all. */
  columns: string[] | null;
  /** The row filter (15+), pg_get_expr's text. */
  rowFilter: string | null;
}
/** Column lists and row filters came with PostgreSQL 15: 14 has its own query without them. */
export const publicationTablesQuery = catalogQuery('publication-tables');
export const publicationTablesQueryPg14 = catalogQuery('publication-tables-pg14');

export interface PublicationSchemaRow { oid: number; publication: string; schema: string }
/** PostgreSQL 15+ only (pg_publication_namespace). */
export const publicationSchemasQuery = catalogQuery('publication-schemas');

export interface DependencyRow { classid: string; objid: number; refclassid: string; refobjid: number; deptype: string }
export const dependenciesQuery = catalogQuery('dependencies');

export interface ExtensionMemberRow { classid: string; objid: number; extension: number }
export const extensionMembersQuery = catalogQuery('extension-members');

/** A table or sequence an extension marked as configuration (pg_extension_config_dump): its rows or value are dumped. */
export interface ExtensionConfigRow {
  oid: number; schema: string; name: string; relkind: 'r' | 'S'; owner: string;
  /** The extension's filter on the rows (`WHERE NOT builtin`); null: all of them. */
  condition: string | null;
  /** COPY column list: attnum order, without generated columns. */
  columns: string[];
  /** OIDs of the other configuration tables its foreign keys point to. */
  references: number[];
}
/** Parameters: schema and name of one relation, or NULL and NULL for all. */
export const extensionConfigQuery = catalogQuery('extension-config');

/** A type that stands for another in dependencies: an array type for its element type, a multirange type for its range type. */
export interface ArrayTypeRow { oid: number; element: number }
export const arrayTypesQuery = catalogQuery('array-types');

/** A function that is part of a type (a range's constructors), created with it. */
export interface TypeFunctionRow { oid: number; type: number }
export const typeFunctionsQuery = catalogQuery('type-functions');

export interface RowTypeRow { oid: number; relid: number }
export const rowTypesQuery = catalogQuery('row-types');

export interface DatabaseSettingRow { setting: string }
export const databaseSettingsQuery = catalogQuery('database-settings');

export interface BuiltinAclRow {
  classid: string; oid: number; subid: number; kind: string; target: string; column: string | null; owner: string;
  acl: AclPrivilege[]; baseline: AclPrivilege[];
}
export const builtinAclsQuery = catalogQuery('builtin-acls');

export interface DefaultAclRow { oid: number; role: string; schema: string | null; objtype: string; acl: AclPrivilege[]; baseline: AclPrivilege[] }
export const defaultAclsQuery = catalogQuery('default-acls');

export interface ViewRuleRow { oid: number; relid: number }
export const viewRulesQuery = catalogQuery('view-rules');

export interface ColumnDefaultRow { oid: number; relid: number; attnum: number }
export const columnDefaultsQuery = catalogQuery('column-defaults');

export interface DomainConstraintRow { oid: number; typid: number }
export const domainConstraintsQuery = catalogQuery('domain-constraints');

export interface ConstraintPartRow { oid: number; indexId: number; triggerId: number | null }
export const constraintPartsQuery = catalogQuery('constraint-parts');

export interface NotValidParentConstraintRow { child: number; parent: number; constraint: number; name: string; type: string }
export const notValidParentConstraintsQuery = catalogQuery('not-valid-parent-constraints');
