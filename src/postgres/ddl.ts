import { commentSafe } from './quote.ts';

// The dump's entries: what one is, the order of kinds, and how one is printed. The SQL of each kind
// of object is written in src/postgres/ddl/<kind>.ts (a table's CREATE TABLE: ddl/table.ts), and
// ddl/writers.ts lists every writer with the kinds of object it writes.

/**
 * One item of the dump, like an entry of pg_dump's table of contents: the SQL that creates an
 * object, the statement that drops it for --clean, and the objects it must come after.
 */
export interface Entry {
  /** `catalog:oid` for catalog objects (the key pg_depend edges are mapped to), else a synthetic key. */
  id: string;
  section: 'pre-data' | 'post-data' | 'final';
  /** pg_dump's kind priority (pg_dump_sort.c): the first sort key. */
  priority: number;
  /** Header `Type:` text. */
  type: string;
  schema: string | null;
  /** Header `Name:` text (not quoted, as pg_dump prints it). */
  name: string;
  /** Secondary sort key for post-data kinds (the table name). */
  sortName?: string;
  owner: string | null;
  sql: string;
  drop: string | null;
  dependsOn: Set<string>;
}

/** The id of a base type's shell entry (CREATE TYPE s.t;), which its I/O functions depend on instead of the type. */
export const shellTypeId = (typeOid: number) => `shell-type:${typeOid}`;

/** Priorities in pg_dump's order (pg_dump_sort.c, PG18); the gaps leave room for kinds added later. */
export const Priority = {
  schema: 1,
  collation: 3,
  transform: 4,
  extension: 5,
  type: 6,
  /** Before functions, as pg_dump: a view records its dependency on the cast's function, not on the cast. */
  cast: 7,
  function: 8,
  aggregate: 9,
  accessMethod: 10,
  operator: 11,
  /** pg_dump's OPFAMILY and OPCLASS share one priority. */
  operatorFamily: 12,
  conversion: 13,
  textSearchParser: 13.1,
  textSearchTemplate: 13.2,
  textSearchDictionary: 14,
  textSearchConfiguration: 15,
  foreignDataWrapper: 16,
  foreignServer: 16.1,
  /** pg_dump writes them right after their server. */
  userMapping: 16.2,
  relation: 17,
  tableAttach: 18,
  /** Not kinds of pg_dump's own (it writes both inside the sequence's entry): right after the tables they name. */
  ownedBy: 19,
  identity: 20,
  /** pg_dump's ATTRDEF: a column DEFAULT written as its own ALTER TABLE (a view's, or one split out of CREATE TABLE). */
  attributeDefault: 21,
  /** pg_dump's LARGE_OBJECT: the metadata (lo_create, owner, comment, grants) ends the pre-data section. */
  largeObject: 22,
  constraint: 30,
  index: 31,
  indexAttach: 32,
  /** pg_dump's STATSEXT: extended statistics. */
  statistics: 33,
  rule: 34,
  trigger: 35,
  foreignKey: 36,
  rowSecurity: 37,
  policy: 38,
  publication: 39,
  /** pg_dump's PUBLICATION_REL and PUBLICATION_TABLE_IN_SCHEMA, right after the publications. */
  publicationTable: 39.1,
  publicationSchema: 39.2,
  /** pg_dump's SUBSCRIPTION, after the publications. */
  subscription: 39.5,
  /** The ACL pass: after every object exists, before materialized views are refreshed (as pg_dump). */
  acl: 40,
  defaultAcl: 41,
  databaseSettings: 45,
  /** pg_dump's EVENT_TRIGGER, in its last pass (with REFRESH MATERIALIZED VIEW): they would fire on the restore's own DDL. */
  eventTrigger: 48,
  refreshMaterializedView: 50,
} as const;

export interface DdlOptions {
  /** Keep OWNER TO and GRANT/REVOKE (pg_dump's default); off = pg_dump --no-owner --no-privileges. */
  owner: boolean;
}

const header = (entry: Pick<Entry, 'type' | 'schema' | 'name' | 'owner'>, options: DdlOptions) =>
  `--\n-- Name: ${commentSafe(entry.name)}; Type: ${entry.type}; Schema: ${commentSafe(entry.schema ?? '-')}; Owner: ${
    options.owner && entry.owner !== null ? commentSafe(entry.owner) : '-'
  }\n--\n\n`;

/** An entry's text as it appears in the script: header, SQL, blank line. */
export function renderEntry(entry: Entry, options: DdlOptions): string {
  return `${header(entry, options)}${entry.sql}\n`;
}
