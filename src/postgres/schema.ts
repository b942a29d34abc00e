import type pg from 'pg';
import {
  accessMethodsQuery,
  aggregatesQuery,
  arrayTypesQuery,
  builtinAclsQuery,
  castsQuery,
  collationsQuery,
  columnDefaultsQuery,
  constraintPartsQuery,
  conversionsQuery,
  domainConstraintsQuery,
  eventTriggersQuery,
  notValidParentConstraintsQuery,
  viewRulesQuery,
  columnsQuery,
  constraintsQuery,
  databaseSettingsQuery,
  defaultAclsQuery,
  dependenciesQuery,
  extensionConfigQuery,
  extensionMembersQuery,
  extensionsQuery,
  foreignDataWrappersQuery,
  foreignServersQuery,
  functionsQuery,
  indexesQuery,
  largeObjectsQuery,
  operatorClassesQuery,
  operatorFamiliesQuery,
  operatorMembersQuery,
  operatorsQuery,
  policiesQuery,
  publicationSchemasQuery,
  publicationsQuery,
  publicationTablesQuery,
  publicationTablesQueryPg14,
  readServerInfo,
  relationsQuery,
  rowTypesQuery,
  rulesQuery,
  schemasQuery,
  sequencesQuery,
  statisticsQuery,
  subscriptionsQuery,
  textSearchConfigurationsQuery,
  textSearchDictionariesQuery,
  textSearchParsersQuery,
  textSearchTemplatesQuery,
  transformsQuery,
  triggersQuery,
  typeFunctionsQuery,
  typesQuery,
  userMappingsQuery,
  type AccessMethodRow,
  type AggregateRow,
  type ArrayTypeRow,
  type BuiltinAclRow,
  type CastRow,
  type CollationRow,
  type ColumnDefaultRow,
  type ConstraintPartRow,
  type ConversionRow,
  type DomainConstraintRow,
  type EventTriggerRow,
  type NotValidParentConstraintRow,
  type ViewRuleRow,
  type ColumnRow,
  type ConstraintRow,
  isMadeByParentKey,
  type DatabaseSettingRow,
  type DefaultAclRow,
  type DependencyRow,
  type ExtensionMemberRow,
  type ExtensionRow,
  type ForeignDataWrapperRow,
  type ForeignServerRow,
  type FunctionRow,
  type IndexRow,
  type LargeObjectRow,
  type OperatorClassRow,
  type OperatorFamilyRow,
  type OperatorMemberRow,
  type OperatorRow,
  type PolicyRow,
  type PublicationRow,
  type PublicationSchemaRow,
  type PublicationTableRow,
  type RelationRow,
  type RowTypeRow,
  type RuleRow,
  type SchemaRow,
  type SequenceRow,
  type ServerInfo,
  type StatisticsRow,
  type SubscriptionRow,
  type TextSearchConfigurationRow,
  type TextSearchDictionaryRow,
  type TextSearchParserRow,
  type TextSearchTemplateRow,
  type TransformRow,
  type TriggerRow,
  type ExtensionConfigRow,
  type TypeFunctionRow,
  type TypeRow,
  type UserMappingRow,
} from './catalog.ts';
import { Priority, shellTypeId, type DdlOptions, type Entry } from './ddl.ts';
import type { TableParts } from './ddl/table.ts';
import { ddlWriters as ddl } from './ddl/writers.ts';
import { IdentifierQuoter } from './quote.ts';
import { sortByDependencies } from './sort.ts';

export interface DataTable {
  oid: number;
  schema: string;
  name: string;
  owner: string;
  /** COPY column list: attnum order, without generated columns (COPY FROM refuses them). */
  columns: string[];
  /**
   * An extension's configuration table: the extension's filter on its rows (`WHERE NOT builtin`),
   * which picks the rows users added; the others come back with CREATE EXTENSION. Absent: all rows.
   */
  condition?: string;
  /**
   * A partition under hash partitioning on an enum: the root of its tree, into which its rows are
   * loaded (`COPY root (columns) FROM stdin`), as pg_dump does: a restore gives the enum new OIDs,
   * so new hashes, and the root routes each row to the partition it now belongs to.
   */
  loadViaRoot?: { schema: string; name: string };
}

/** A sequence whose value is set after the data: every sequence the dump creates, and extensions' configuration sequences. */
export type SequenceValue = Pick<SequenceRow, 'oid' | 'schema' | 'name'>;

export interface Catalog {
  server: ServerInfo;
  /** Every entry in output order: pre-data, post-data, then the final pass. */
  entries: Entry[];
  /** Tables whose rows are dumped, in pg_dump's (schema, name) byte order. */
  dataTables: DataTable[];
  /** Every sequence, identity ones and extensions' configuration ones included: each gets a setval after the data. */
  sequences: SequenceValue[];
  /** Every large object: its contents follow the setvals (large-object-data.ts). */
  largeObjects: LargeObjectRow[];
  /** Entries that sat in a dependency loop (ordered by name there). */
  loops: Entry[];
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Reads every object the dump writes, builds its entries and orders them by pg_depend. */
export async function readCatalog(client: pg.ClientBase, options: DdlOptions): Promise<Catalog> {
  const server = await readServerInfo(client);
  const q = new IdentifierQuoter(server.reservedKeywords);
  const rows = async <Row extends pg.QueryResultRow>(sql: string) => (await client.query<Row>(sql)).rows;

  const schemas = await rows<SchemaRow>(schemasQuery);
  const collations = await rows<CollationRow>(collationsQuery);
  const extensions = await rows<ExtensionRow>(extensionsQuery);
  const transforms = await rows<TransformRow>(transformsQuery);
  const types = await rows<TypeRow>(typesQuery);
  const casts = await rows<CastRow>(castsQuery);
  const functions = await rows<FunctionRow>(functionsQuery);
  const aggregates = await rows<AggregateRow>(aggregatesQuery);
  const accessMethods = await rows<AccessMethodRow>(accessMethodsQuery);
  const operators = await rows<OperatorRow>(operatorsQuery);
  const operatorFamilies = await rows<OperatorFamilyRow>(operatorFamiliesQuery);
  const operatorClasses = await rows<OperatorClassRow>(operatorClassesQuery);
  const operatorMembers = await rows<OperatorMemberRow>(operatorMembersQuery);
  const membersOf = new Map<string, OperatorMemberRow[]>();
  for (const member of operatorMembers) {
    const owner = `${catalogName(member.refclassid)}:${member.refobjid}`;
    membersOf.set(owner, [...(membersOf.get(owner) ?? []), member]);
  }
  const conversions = await rows<ConversionRow>(conversionsQuery);
  const textSearchParsers = await rows<TextSearchParserRow>(textSearchParsersQuery);
  const textSearchTemplates = await rows<TextSearchTemplateRow>(textSearchTemplatesQuery);
  const textSearchDictionaries = await rows<TextSearchDictionaryRow>(textSearchDictionariesQuery);
  const textSearchConfigurations = await rows<TextSearchConfigurationRow>(textSearchConfigurationsQuery);
  const foreignDataWrappers = await rows<ForeignDataWrapperRow>(foreignDataWrappersQuery);
  const foreignServers = await rows<ForeignServerRow>(foreignServersQuery);
  const userMappings = await rows<UserMappingRow>(userMappingsQuery);
  const relations = await rows<RelationRow>(relationsQuery);
  const columns = await rows<ColumnRow>(columnsQuery);
  const sequences = await rows<SequenceRow>(sequencesQuery);
  const largeObjects = await rows<LargeObjectRow>(largeObjectsQuery);
  const constraints = await rows<ConstraintRow>(constraintsQuery);
  const indexes = await rows<IndexRow>(indexesQuery);
  const statistics = await rows<StatisticsRow>(statisticsQuery);
  const triggers = await rows<TriggerRow>(triggersQuery);
  const rules = await rows<RuleRow>(rulesQuery);
  const policies = await rows<PolicyRow>(policiesQuery);
  const eventTriggers = await rows<EventTriggerRow>(eventTriggersQuery);
  const publications = await rows<PublicationRow>(publicationsQuery);
  const publicationTables = await rows<PublicationTableRow>(server.versionNum >= 150000 ? publicationTablesQuery : publicationTablesQueryPg14);
  const publicationSchemas = server.versionNum >= 150000 ? await rows<PublicationSchemaRow>(publicationSchemasQuery) : [];
  // Only a role that may read the connection strings (a superuser) dumps subscriptions; the inventory
  // lists them as unsupported for any other (as pg_dump, which skips them with a warning).
  const subscriptions = server.canReadSubscriptions ? await rows<SubscriptionRow>(subscriptionsQuery) : [];
  const settings = await rows<DatabaseSettingRow>(databaseSettingsQuery);
  const notValidParents = await rows<NotValidParentConstraintRow>(notValidParentConstraintsQuery);
  const extensionConfig = (await client.query<ExtensionConfigRow>(extensionConfigQuery, [null, null])).rows;
  const builtinAcls = options.owner ? await rows<BuiltinAclRow>(builtinAclsQuery) : [];
  const defaultAcls = options.owner ? await rows<DefaultAclRow>(defaultAclsQuery) : [];

  const relationsByOid = new Map(relations.map((relation) => [relation.oid, relation]));
  const columnsByRelation = new Map<number, ColumnRow[]>();
  for (const column of columns) {
    const list = columnsByRelation.get(column.relid) ?? [];
    list.push(column);
    columnsByRelation.set(column.relid, list);
  }
  // CHECKs that are local and validated stay inside CREATE TABLE (partitions also keep inherited ones, like pg_dump),
  // unless they sit in a dependency loop with their table (below).
  const canBeInline = (c: ConstraintRow) => {
    if (c.type !== 'c' || !c.validated) return false;
    const relation = relationsByOid.get(c.relid);
    return c.isLocal || (relation?.isPartition ?? false);
  };
  // A CHECK an inheritance child only inherited comes back with INHERITS (or with the parent's NOT
  // VALID ALTER, which reaches the children): adding it to the child too makes it local, and a
  // restore over that one then fails with "cannot drop inherited constraint". A partition writes its
  // validated inherited CHECKs inline (it is created standalone); a NOT VALID one comes with the
  // parent's ALTER, as in pg_dump (adding it to the partition first fails: "already exists").
  const isInheritedOnly = (c: ConstraintRow) =>
    !c.isLocal && c.inheritCount > 0 && (!(relationsByOid.get(c.relid)?.isPartition ?? false) || (c.type === 'c' && !c.validated));
  // 18: the same for a partition's inherited NOT NULL whose parent's is NOT VALID: written inline,
  // it would stay the partition's own after the parent's ALTER (which resets that for a CHECK only);
  // left out, the ALTER makes it and the copy valid in the source is validated again afterwards.
  // But the ALTER names it after the parent's: a valid copy with a name of its own (a table that had
  // it when it was attached) is written inline, as pg_dump does, keeping its name (it then stays
  // the partition's own too, as with pg_dump; no restore can give both).
  const comesLater = (copy: Pick<InheritedCopy, 'relid' | 'name' | 'column'>) => notValidParentOf(copy, columnsByRelation, notValidParents) !== undefined;
  const notNullFromParentLater = (relation: RelationRow, column: ColumnRow) => {
    const constraint = column.notNullConstraint;
    if (!relation.isPartition || constraint === null || constraint.local) return false;
    const parent = notValidParentOf({ relid: relation.oid, name: constraint.name, column: column.name }, columnsByRelation, notValidParents);
    return parent !== undefined && (!constraint.validated || parent.name === constraint.name);
  };

  const build = async (separateChecks: Set<number>) => {
    const inlineChecks = constraints.filter((c) => canBeInline(c) && !separateChecks.has(c.oid));
    const inlineCheckIds = new Set(inlineChecks.map((c) => c.oid));
    const entries: Entry[] = [];
    const tableParts = new Map<number, TableParts>();
    for (const schema of schemas) {
      const entry = ddl.schema.write(schema, q, options);
      if (entry !== null) entries.push(entry);
    }
    for (const collation of collations) entries.push(ddl.collation.write(collation, q, options));
    for (const transform of transforms) entries.push(ddl.transform.write(transform, q));
    for (const extension of extensions) if (extension.name !== 'plpgsql') entries.push(ddl.extension.write(extension, q));
    for (const type of types) entries.push(...ddl.type.write(type, q, options));
    for (const cast of casts) entries.push(ddl.cast.write(cast, q));
    for (const fn of functions) entries.push(ddl.function.write(fn, q, options));
    for (const aggregate of aggregates) entries.push(ddl.aggregate.write(aggregate, q, options));
    for (const accessMethod of accessMethods) entries.push(ddl.accessMethod.write(accessMethod, q));
    for (const operator of operators) entries.push(ddl.operator.write(operator, q, options));
    for (const family of operatorFamilies) {
      const entry = ddl.operatorFamily.write(family, membersOf.get(`pg_opfamily:${family.oid}`) ?? [], q, options);
      if (entry !== null) entries.push(entry);
    }
    for (const operatorClass of operatorClasses) {
      entries.push(ddl.operatorClass.write(operatorClass, membersOf.get(`pg_opclass:${operatorClass.oid}`) ?? [], q, options));
    }
    for (const conversion of conversions) entries.push(ddl.conversion.write(conversion, q, options));
    for (const parser of textSearchParsers) entries.push(ddl.textSearchParser.write(parser, q));
    for (const template of textSearchTemplates) entries.push(ddl.textSearchTemplate.write(template, q));
    for (const dictionary of textSearchDictionaries) entries.push(ddl.textSearchDictionary.write(dictionary, q, options));
    for (const configuration of textSearchConfigurations) entries.push(ddl.textSearchConfiguration.write(configuration, q, options));
    for (const wrapper of foreignDataWrappers) entries.push(ddl.foreignDataWrapper.write(wrapper, q, options));
    for (const foreignServer of foreignServers) entries.push(ddl.foreignServer.write(foreignServer, q, options));
    for (const mapping of userMappings) entries.push(ddl.userMapping.write(mapping, q));
    const dataTables: DataTable[] = [];
    for (const relation of relations) {
      const relationColumns = columnsByRelation.get(relation.oid) ?? [];
      if (relation.relkind === 'r' || relation.relkind === 'p' || relation.relkind === 'f') {
        const parts: TableParts = {
          relation,
          columns: relationColumns.map((c) => {
            if (notNullFromParentLater(relation, c)) return { ...c, notNullConstraint: null, notNull: false };
            // An inherited copy of a parent's NOT VALID NOT NULL is made after the data: its comment is written there.
            const constraint = c.notNullConstraint;
            return constraint !== null && !constraint.local && comesLater({ relid: c.relid, name: constraint.name, column: c.name })
              ? { ...c, notNullConstraint: { ...constraint, comment: null } }
              : c;
          }),
          inlineChecks: inlineChecks.filter((c) => c.relid === relation.oid),
          inheritAfterCreate: inheritsWouldReorder(relation, columnsByRelation, constraints),
          // For their comments: those INHERITS makes (a copy of a NOT VALID one comes after the data, with its parent's ALTER).
          inheritedChecks: constraints.filter(
            (c) => c.relid === relation.oid && c.type === 'c' && c.validated && isInheritedOnly(c) && !comesLater({ relid: c.relid, name: c.name, column: null }),
          ),
        };
        tableParts.set(relation.oid, parts);
        entries.push(ddl.table.write(parts, q, options));
        // A partition has one parent: its OID is the first (only) of parentOids.
        if (relation.isPartition && relation.parents?.[0] !== undefined && relation.parentOids?.[0] !== undefined) {
          entries.push(ddl.partitionAttach.write(relation, relation.parentOids[0], relation.parents[0], q, relationColumns));
        }
        if (relation.rowSecurity) entries.push(ddl.rowSecurity.write(relation, q));
        for (const column of relationColumns) {
          const notNull = ddl.notValidNotNull.write(relation, column, q);
          if (notNull === null) continue;
          for (const child of childrenWithOwnNotValidNotNull(relation.oid, column.name, columnsByRelation, notValidParents)) notNull.dependsOn.add(`pg_constraint:${child}`);
          entries.push(notNull);
        }
        if (relation.relkind === 'r') {
          const root = relation.loadViaRoot === null ? undefined : relationsByOid.get(relation.loadViaRoot);
          // Rows loaded through the root are copied in the root's column order: a partition attached
          // with its columns in another order would otherwise give a row other text (so another
          // row digest) in whichever partition the restore routes it to, and verify would fail a good backup.
          const copyColumns = root === undefined ? relationColumns : (columnsByRelation.get(root.oid) ?? relationColumns);
          dataTables.push({
            oid: relation.oid,
            schema: relation.schema,
            name: relation.name,
            owner: relation.owner,
            columns: copyColumns.filter((c) => c.generated === '').map((c) => c.name),
            ...(root === undefined ? {} : { loadViaRoot: { schema: root.schema, name: root.name } }),
          });
        }
      } else if (relation.relkind === 'v' || relation.relkind === 'm') {
        entries.push(...ddl.view.write(relation, relationColumns, q, options));
      }
    }
    for (const sequence of sequences) {
      const owner = sequence.ownedByTable === null ? undefined : relationsByOid.get(sequence.ownedByTable);
      const identityKind = owner === undefined ? undefined : columnsByRelation.get(owner.oid)?.find((c) => c.name === sequence.ownedByColumn)?.identity;
      entries.push(...ddl.sequence.write(sequence, relationsByOid.get(sequence.oid), owner, identityKind, q, options));
    }
    for (const largeObject of largeObjects) entries.push(ddl.largeObject.write(largeObject, q, options));
    // The partitions' keys a partitioned table's EXCLUDE or key WITHOUT OVERLAPS makes, by the key they belong to.
    const madeKeys = new Map<number, ConstraintRow[]>();
    for (const c of constraints) if (isMadeByParentKey(c)) madeKeys.set(c.parentKey!.oid, [...(madeKeys.get(c.parentKey!.oid) ?? []), c]);
    const madeBelow = (key: ConstraintRow): ConstraintRow[] => {
      if (isMadeByParentKey(key)) return [];
      const below: ConstraintRow[] = [];
      // Level by level: a partition's key is found by its parent's name, which must be back first.
      for (let level = madeKeys.get(key.oid) ?? []; level.length > 0; level = level.flatMap((made) => madeKeys.get(made.oid) ?? [])) below.push(...level);
      return below;
    };
    for (const constraint of constraints) {
      if (!inlineCheckIds.has(constraint.oid) && !isInheritedOnly(constraint)) entries.push(ddl.constraint.write(constraint, q, madeBelow(constraint)));
    }
    entries.push(...validatedInheritedCopies(relationsByOid, constraints.filter(isInheritedOnly), columnsByRelation, notValidParents, q));
    // Partitioned indexes are plain indexes or the indexes of PK / UNIQUE / EXCLUDE constraints; a
    // partition's index (either kind) is attached to its parent's after both exist.
    const indexNames = new Map<number, { oid: number; schema: string; name: string; table: string }>();
    for (const index of indexes) indexNames.set(index.oid, index);
    for (const c of constraints) if (c.index !== null) indexNames.set(c.indexId, { oid: c.indexId, schema: c.schema, name: c.index.name, table: c.table });
    const attachToParent = (childIndex: number, parentIndex: number | null, constraint?: number) => {
      const child = indexNames.get(childIndex);
      const parent = parentIndex === null ? undefined : indexNames.get(parentIndex);
      if (child !== undefined && parent !== undefined) entries.push(ddl.indexAttach.write(child, q.qualified(parent.schema, parent.name), q, constraint));
    };
    for (const index of indexes) {
      entries.push(ddl.index.write(index, q));
      attachToParent(index.oid, index.parentIndex);
    }
    // A partition's EXCLUDE or key WITHOUT OVERLAPS is made, attached, by its parent's (isMadeByParentKey).
    for (const c of constraints) if (c.index !== null && !isMadeByParentKey(c)) attachToParent(c.indexId, c.parentIndex, c.oid);
    for (const statistic of statistics) entries.push(ddl.statistics.write(statistic, q, options));
    for (const trigger of triggers) entries.push(ddl.trigger.write(trigger, q));
    for (const rule of rules) entries.push(ddl.rule.write(rule, q));
    for (const policy of policies) entries.push(ddl.policy.write(policy, q));
    for (const publication of publications) entries.push(ddl.publication.write(publication, q, options));
    for (const table of publicationTables) entries.push(ddl.publicationTable.write(table, q));
    for (const schema of publicationSchemas) entries.push(ddl.publicationSchema.write(schema, q));
    for (const subscription of subscriptions) entries.push(ddl.subscription.write(subscription, q, options));
    for (const eventTrigger of eventTriggers) entries.push(ddl.eventTrigger.write(eventTrigger, q, options));
    const settingsEntry = ddl.databaseSettings.write(settings.map((s) => s.setting));
    if (settingsEntry !== null) entries.push(settingsEntry);
    for (const acl of builtinAcls) entries.push(ddl.builtinPrivileges.write(acl, q));
    for (const acl of defaultAcls) {
      const entry = ddl.defaultPrivileges.write(acl, q);
      if (entry !== null) entries.push(entry);
    }

    /**
     * A table whose column DEFAULT or inline CHECK needs something created after the data (an
     * SQL-standard function that relies on a primary key): like pg_dump, that default or check is
     * split out of CREATE TABLE into its own post-data statement. COPY supplies every column, so
     * the data never needs the default; the CHECK is verified when it is added. A generated column
     * cannot be split (COPY computes it), nor anything else: those stay stranded and are reported.
     */
    const splitTable = (entry: Entry, later: Map<string, SoftPart[] | null>): Entry[] | null => {
      const parts = entry.id.startsWith('pg_class:') ? tableParts.get(Number(entry.id.slice('pg_class:'.length))) : undefined;
      if (parts === undefined) return null;
      const defaults = new Map<number, Set<string>>();
      const checks = new Map<number, Set<string>>();
      for (const [target, softParts] of later) {
        if (softParts === null) return null;
        for (const part of softParts) {
          const into = part.kind === 'default' ? defaults : checks;
          const key = part.kind === 'default' ? part.attnum : part.oid;
          into.set(key, (into.get(key) ?? new Set()).add(target));
        }
      }
      if (parts.columns.some((c) => defaults.has(c.num) && c.generated !== '')) return null;
      const kept: TableParts = {
        ...parts,
        columns: parts.columns.map((c) => (defaults.has(c.num) ? { ...c, defaultExpr: null } : c)),
        inlineChecks: parts.inlineChecks.filter((c) => !checks.has(c.oid)),
      };
      entry.sql = ddl.table.write(kept, q, options).sql;
      for (const target of later.keys()) entry.dependsOn.delete(target);
      const split: Entry[] = [];
      for (const column of parts.columns.filter((c) => defaults.has(c.num))) {
        split.push(ddl.splitDefault.write(parts.relation, column, defaults.get(column.num)!, q));
      }
      for (const check of parts.inlineChecks.filter((c) => checks.has(c.oid))) {
        split.push({ ...ddl.constraint.write(check, q), dependsOn: new Set(checks.get(check.oid)) });
      }
      return split;
    };

    const { stranded, checkTargets } = await addDependencies(client, entries, inlineChecks, types, operatorClasses, operatorMembers, splitTable);
    return { entries, dataTables, inlineChecks, checkTargets, stranded };
  };

  // pg_dump's repairTableConstraintMultiLoop: a CHECK that needs something which itself needs the
  // table (a function taking the table's row type) cannot be inside CREATE TABLE. Such CHECKs become
  // separate post-data ALTER TABLE ... ADD CONSTRAINT entries, and the order is worked out again.
  const separateChecks = new Set<number>();
  let built = await build(separateChecks);
  let pre = sortByDependencies(built.entries.filter((e) => e.section === 'pre-data'));
  for (;;) {
    const inLoop = new Set(pre.loops.map((entry) => entry.id));
    const looping = built.inlineChecks.filter(
      (check) => inLoop.has(`pg_class:${check.relid}`) && [...(built.checkTargets.get(check.oid) ?? [])].some((id) => inLoop.has(id)),
    );
    if (looping.length === 0) break;
    for (const check of looping) separateChecks.add(check.oid);
    built = await build(separateChecks);
    pre = sortByDependencies(built.entries.filter((e) => e.section === 'pre-data'));
  }
  const { entries, dataTables, stranded } = built;

  const post = sortByDependencies(entries.filter((e) => e.section === 'post-data'));
  // Materialized views are refreshed in the order their definitions were created (readers after what they read).
  // (A materialized view moved to post-data, after a key it needs, is ordered there.)
  const preOrder = new Map([...pre.entries, ...post.entries].map((entry, index) => [entry.id, index]));
  const final = entries
    .filter((e) => e.section === 'final')
    .sort((a, b) => a.priority - b.priority || (preOrder.get(a.id.replace('refresh:', 'pg_class:')) ?? 0) - (preOrder.get(b.id.replace('refresh:', 'pg_class:')) ?? 0));
  // Extensions' configuration tables and sequences are members, so not among the entries: CREATE
  // EXTENSION makes them, and their user rows and values are data, written as pg_dump does.
  for (const config of extensionConfig.filter((c) => c.relkind === 'r')) {
    dataTables.push({ oid: config.oid, schema: config.schema, name: config.name, owner: config.owner, columns: config.columns, ...(config.condition === null ? {} : { condition: config.condition }) });
  }
  dataTables.sort((a, b) => byteOrder(a.schema, b.schema) || byteOrder(a.name, b.name));
  const sequenceValues: SequenceValue[] = [...sequences, ...extensionConfig.filter((c) => c.relkind === 'S')];
  sequenceValues.sort((a, b) => byteOrder(a.schema, b.schema) || byteOrder(a.name, b.name));
  return {
    server,
    entries: [...pre.entries, ...post.entries, ...final],
    dataTables: referencedFirst(dataTables, extensionConfig),
    sequences: sequenceValues,
    largeObjects,
    loops: [...stranded, ...pre.loops, ...post.loops],
  };
}

/**
 * The foreign keys of an extension's configuration tables come with CREATE EXTENSION, so they
 * hold while the data loads: as pg_dump does, a configuration table's rows are written after those
 * of the configuration tables it references. Every other table keeps its (schema, name) place
 * (their keys are added after all the data).
 */
function referencedFirst(tables: DataTable[], extensionConfig: ExtensionConfigRow[]): DataTable[] {
  const references = new Map(extensionConfig.map((config) => [config.oid, config.references]));
  const byOid = new Map(tables.map((table) => [table.oid, table]));
  const ordered: DataTable[] = [];
  const placed = new Set<number>();
  const place = (table: DataTable, path: Set<number>) => {
    if (placed.has(table.oid) || path.has(table.oid)) return;
    path.add(table.oid);
    for (const oid of references.get(table.oid) ?? []) {
      const referenced = byOid.get(oid);
      if (referenced !== undefined) place(referenced, path);
    }
    placed.add(table.oid);
    ordered.push(table);
  };
  for (const table of tables) place(table, new Set());
  return ordered;
}

/** An inherited copy of a CHECK (column null) or 18 NOT NULL (its column) on table `relid`. */
interface InheritedCopy { relid: number; oid: number; name: string; column: string | null; validated: boolean; comment: string | null }

/** The parent's NOT VALID constraint `copy` comes with (after the data), if it does. */
function notValidParentOf(copy: Pick<InheritedCopy, 'relid' | 'name' | 'column'>, columnsByRelation: Map<number, ColumnRow[]>, rows: NotValidParentConstraintRow[]): NotValidParentConstraintRow | undefined {
  return rows.find((row) => {
    if (row.child !== copy.relid) return false;
    if (copy.column === null) return row.type === 'c' && row.name === copy.name;
    return columnsByRelation.get(row.parent)?.some((c) => c.name === copy.column && c.notNullConstraint?.oid === row.constraint) ?? false;
  });
}

/**
 * 18: the children of `parent` whose NOT NULL on `column` is NOT VALID and their own too (a table
 * that had it when it was attached with ALTER TABLE ... INHERIT): their constraints' OIDs. Each
 * must be added before the parent's: the parent's ALTER then merges into it, where the other way
 * round the parent's makes the child's first, and the child's ADD CONSTRAINT fails ("a not-null
 * constraint named ... already exists"), as pg_dump's restore does.
 */
function childrenWithOwnNotValidNotNull(parent: number, column: string, columnsByRelation: Map<number, ColumnRow[]>, rows: NotValidParentConstraintRow[]): number[] {
  return rows
    .filter((row) => row.parent === parent && row.type === 'n')
    .flatMap((row) => {
      const constraint = columnsByRelation.get(row.child)?.find((c) => c.name === column)?.notNullConstraint;
      return constraint !== null && constraint !== undefined && constraint.local && !constraint.validated ? [constraint.oid] : [];
    });
}

/** Every inherited-only copy: the CHECKs given, and the NOT NULL constraints columns only inherit. */
function inheritedCopies(inheritedChecks: ConstraintRow[], columnsByRelation: Map<number, ColumnRow[]>): InheritedCopy[] {
  return [
    ...inheritedChecks.filter((c) => c.type === 'c').map((c) => ({ relid: c.relid, oid: c.oid, name: c.name, column: null, validated: c.validated, comment: c.comment })),
    ...[...columnsByRelation.values()].flat().flatMap((column) => {
      const constraint = column.notNullConstraint;
      return constraint !== null && !constraint.local && constraint.inherited
        ? [{ relid: column.relid, oid: constraint.oid, name: constraint.name, column: column.name, validated: constraint.validated, comment: constraint.comment }]
        : [];
    }),
  ];
}

/**
 * 18: whether table `relid` has a valid NOT NULL on `column` as soon as it is created, inherited
 * from a parent that has one then (its own, written in its CREATE TABLE, or inherited that way).
 * Another parent's NOT VALID one, added after the data, then merges into it: there is nothing to
 * validate, and the child's constraint keeps that parent's name (the source may have had the NOT
 * VALID parent's, when that parent came first; no restore can rename an inherited constraint,
 * and pg_dump's restore has the same name).
 */
function notNullAtCreation(
  relid: number,
  column: string,
  relationsByOid: Map<number, RelationRow>,
  columnsByRelation: Map<number, ColumnRow[]>,
  rows: NotValidParentConstraintRow[],
): boolean {
  return (relationsByOid.get(relid)?.parentOids ?? []).some((parent) => {
    const constraint = columnsByRelation.get(parent)?.find((c) => c.name === column)?.notNullConstraint;
    if (constraint === null || constraint === undefined || !constraint.validated) return false;
    if (constraint.local || notValidParentOf({ relid: parent, name: constraint.name, column }, columnsByRelation, rows) === undefined) return true;
    return notNullAtCreation(parent, column, relationsByOid, columnsByRelation, rows);
  });
}

/**
 * A parent's NOT VALID constraint is restored after the data with an ALTER that reaches the
 * children, where it arrives NOT VALID too; a child's copy that was valid in the source (the
 * child was created or validated later) is validated again after it, and a copy's comment is
 * written there too. A child that inherits a valid NOT NULL on that column from another parent
 * from its creation needs neither (notNullAtCreation).
 */
function validatedInheritedCopies(
  relationsByOid: Map<number, RelationRow>,
  inheritedChecks: ConstraintRow[],
  columnsByRelation: Map<number, ColumnRow[]>,
  rows: NotValidParentConstraintRow[],
  q: IdentifierQuoter,
): Entry[] {
  const entries: Entry[] = [];
  for (const copy of inheritedCopies(inheritedChecks, columnsByRelation)) {
    const relation = relationsByOid.get(copy.relid);
    if (relation === undefined) continue;
    const notValidParent = notValidParentOf(copy, columnsByRelation, rows);
    if (copy.column !== null && notNullAtCreation(copy.relid, copy.column, relationsByOid, columnsByRelation, rows)) continue;
    // Its comment too: the copy exists only once the parent's ALTER made it.
    if (notValidParent !== undefined && (copy.validated || copy.comment !== null)) {
      entries.push(ddl.validateInherited.write(relation, copy, notValidParent.constraint, q));
    }
  }
  return entries;
}

/**
 * Whether an inheritance child has to be created standalone and then attached with ALTER TABLE ...
 * INHERIT: CREATE TABLE ... INHERITS puts the parents' columns first, so a child whose columns were
 * in another order when it was attached (ALTER TABLE ... INHERIT in the source) would come back
 * reordered, as it does with pg_dump. Attaching afterwards keeps the order, but only restores the
 * same catalog when every inherited column and CHECK is also the child's own (local), as ALTER
 * TABLE ... INHERIT leaves them; otherwise the child keeps pg_dump's form.
 */
function inheritsWouldReorder(relation: RelationRow, columnsByRelation: Map<number, ColumnRow[]>, constraints: ConstraintRow[]): boolean {
  if (relation.isPartition || relation.parentOids === null || relation.parentOids.length === 0) return false;
  const columns = columnsByRelation.get(relation.oid) ?? [];
  const inheritedNames: string[] = [];
  for (const parent of relation.parentOids) {
    for (const column of columnsByRelation.get(parent) ?? []) if (!inheritedNames.includes(column.name)) inheritedNames.push(column.name);
  }
  const orderWithInherits = [...inheritedNames, ...columns.map((c) => c.name).filter((name) => !inheritedNames.includes(name))];
  if (orderWithInherits.every((name, index) => columns[index]?.name === name)) return false;
  const inheritedColumns = columns.filter((c) => inheritedNames.includes(c.name));
  const allColumnsLocal = inheritedColumns.every(
    (c) => c.isLocal && (c.notNullConstraint === null || (c.notNullConstraint.local && c.notNullConstraint.validated)),
  );
  // A child's own NOT ENFORCED copy (never validated) checks no rows: added after the data like a NOT
  // VALID one, it merges with the parent's copy there whichever comes first, as in the source.
  const allChecksLocal = constraints.every(
    (c) => c.relid !== relation.oid || c.type !== 'c' || c.inheritCount === 0 || (c.isLocal && (c.validated || !c.enforced)),
  );
  return allColumnsLocal && allChecksLocal;
}

/**
 * Maps pg_depend rows onto entries (pg-dump-facts §3.3): a view's edges hang off its _RETURN rule,
 * a default's off pg_attrdef, an inline CHECK's off pg_constraint, a row type's and an array type's
 * off the relation or element type they stand for, and an extension member stands for its
 * extension. Ownership edges of sequences are left out: OWNED BY is its own entry after both.
 * Returns the entries that cannot restore (see postponeWhatNeedsPostData) and, for each inline
 * CHECK, the entries it needs (its table's entry needs them on its behalf).
 */
/** How a table depends on something through a part of its CREATE TABLE that can be split out of it. */
type SoftPart = { kind: 'default'; attnum: number } | { kind: 'check'; oid: number };
/** Splits what ties a pre-data entry to later entries (target id -> the parts through which, or null) into post-data entries. */
type Splitter = (entry: Entry, later: Map<string, SoftPart[] | null>) => Entry[] | null;

async function addDependencies(
  client: pg.ClientBase,
  entries: Entry[],
  inlineChecks: ConstraintRow[],
  types: TypeRow[],
  operatorClasses: OperatorClassRow[],
  operatorMembers: OperatorMemberRow[],
  split: Splitter,
): Promise<{ stranded: Entry[]; checkTargets: Map<number, Set<string>> }> {
  const rows = async <Row extends pg.QueryResultRow>(sql: string) => (await client.query<Row>(sql)).rows;
  // One connection runs one query at a time: these are sequential on purpose.
  const dependencies = await rows<DependencyRow>(dependenciesQuery);
  const members = await rows<ExtensionMemberRow>(extensionMembersQuery);
  const arrays = await rows<ArrayTypeRow>(arrayTypesQuery);
  const typeFunctions = await rows<TypeFunctionRow>(typeFunctionsQuery);
  const rowTypes = await rows<RowTypeRow>(rowTypesQuery);
  const rewrites = await rows<ViewRuleRow>(viewRulesQuery);
  const attrdefs = await rows<ColumnDefaultRow>(columnDefaultsQuery);
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  const memberOf = new Map(members.map((m) => [`${catalogName(m.classid)}:${m.objid}`, `pg_extension:${m.extension}`]));
  const arrayElement = new Map(arrays.map((a) => [a.oid, a.element]));
  const typeOfFunction = new Map(typeFunctions.map((f) => [f.oid, f.type]));
  const rowTypeRelation = new Map(rowTypes.map((t) => [t.oid, t.relid]));
  const viewOfRule = new Map(rewrites.map((r) => [r.oid, r.relid]));
  const tableOfDefault = new Map(attrdefs.map((d) => [d.oid, d.relid]));
  const columnOfDefault = new Map(attrdefs.map((d) => [d.oid, d.attnum]));
  const checkOwner = new Map(inlineChecks.map((c) => [c.oid, c.relid]));
  // An operator class's or family's operators and support functions (pg_amop, pg_amproc rows) are
  // written by it; a family CREATE OPERATOR CLASS makes itself is written by that class.
  const classOrFamilyOfMember = new Map(operatorMembers.map((m) => [`${catalogName(m.classid)}:${m.objid}`, [catalogName(m.refclassid), m.refobjid] as const]));
  const classOfFamily = new Map(operatorClasses.map((c) => [c.familyOid, c.oid]));
  const domainOfCheck = new Map<number, number>();
  const domainOids = new Set(types.filter((t) => t.typtype === 'd').map((t) => t.oid));
  const domainChecks = await rows<DomainConstraintRow>(domainConstraintsQuery);
  for (const check of domainChecks) if (domainOids.has(check.typid)) domainOfCheck.set(check.oid, check.typid);
  // An index that backs a constraint is that constraint's entry; a constraint trigger's pg_constraint row is its trigger's.
  const constraintOfIndex = new Map<number, number>();
  const triggerOfConstraint = new Map<number, number>();
  const owners = await rows<ConstraintPartRow>(constraintPartsQuery);
  for (const owner of owners) {
    if (owner.indexId !== 0 && owner.triggerId === null) constraintOfIndex.set(owner.indexId, owner.oid);
    if (owner.triggerId !== null) triggerOfConstraint.set(owner.oid, owner.triggerId);
  }

  const resolve = (rawCatalog: string, oid: number): string => {
    const catalog = catalogName(rawCatalog);
    const member = memberOf.get(`${catalog}:${oid}`);
    if (member !== undefined) return member;
    const itself = `${catalog}:${oid}`;
    // The entry that writes this row when it is a part of another object (`owner` found), else the row's own.
    const partOf = (ownerCatalog: string, owner: number | undefined) => (owner === undefined ? itself : `${ownerCatalog}:${owner}`);
    switch (catalog) {
      case 'pg_rewrite':
        return partOf('pg_class', viewOfRule.get(oid));
      case 'pg_attrdef':
        return partOf('pg_class', tableOfDefault.get(oid));
      case 'pg_constraint': {
        const table = checkOwner.get(oid);
        if (table !== undefined) return `pg_class:${table}`;
        const domain = domainOfCheck.get(oid);
        if (domain !== undefined && !byId.has(itself)) return `pg_type:${domain}`;
        return partOf('pg_trigger', triggerOfConstraint.get(oid));
      }
      case 'pg_class':
        return partOf('pg_constraint', constraintOfIndex.get(oid));
      case 'pg_amop':
      case 'pg_amproc': {
        const owner = classOrFamilyOfMember.get(itself);
        return owner === undefined ? itself : resolve(owner[0], owner[1]);
      }
      case 'pg_proc': {
        const type = typeOfFunction.get(oid);
        return type === undefined ? itself : resolve('pg_type', type);
      }
      case 'pg_opfamily':
        return byId.has(itself) ? itself : partOf('pg_opclass', classOfFamily.get(oid));
      case 'pg_type': {
        const element = arrayElement.get(oid);
        if (element !== undefined) return resolve('pg_type', element);
        const relation = rowTypeRelation.get(oid);
        return relation === undefined ? itself : resolve('pg_class', relation);
      }
      default:
        return itself;
    }
  };

  // A base type and its I/O functions depend on each other; as in pg_dump, the functions' edges
  // to the type lead to its shell entry (written first) instead.
  const shellEdges = new Map<string, string>();
  for (const type of types) {
    for (const fn of type.base?.functions ?? []) shellEdges.set(`pg_proc:${fn} pg_type:${type.oid}`, shellTypeId(type.oid));
  }
  const checkTargets = new Map<number, Set<string>>();
  // For each (entry, target): the splittable parts of the entry the edge comes through, or null
  // once any edge to that target comes through something that cannot be split.
  const through = new Map<string, Map<string, SoftPart[] | null>>();
  for (const dependency of dependencies) {
    const from = resolve(dependency.classid, dependency.objid);
    const resolved = resolve(dependency.refclassid, dependency.refobjid);
    const to = shellEdges.get(`${from} ${resolved}`) ?? resolved;
    if (from === to) continue;
    if (catalogName(dependency.classid) === 'pg_constraint' && checkOwner.has(dependency.objid)) {
      const targets = checkTargets.get(dependency.objid) ?? new Set<string>();
      targets.add(to);
      checkTargets.set(dependency.objid, targets);
    }
    const source = byId.get(from);
    const target = byId.get(to);
    if (source === undefined || target === undefined) continue;
    // A serial's or identity's sequence belongs to its table; it is created before it (OWNED BY / ADD GENERATED come later).
    if ((dependency.deptype === 'a' || dependency.deptype === 'i') && source.type === 'SEQUENCE') continue;
    source.dependsOn.add(to);
    const catalog = catalogName(dependency.classid);
    const part: SoftPart | null =
      catalog === 'pg_attrdef' && columnOfDefault.has(dependency.objid) ? { kind: 'default', attnum: columnOfDefault.get(dependency.objid)! }
        : catalog === 'pg_constraint' && checkOwner.has(dependency.objid) ? { kind: 'check', oid: dependency.objid }
          : null;
    const targets = through.get(from) ?? new Map<string, SoftPart[] | null>();
    through.set(from, targets);
    const known = targets.get(to);
    targets.set(to, part === null || known === null ? null : [...(known ?? []), part]);
  }
  const stranded = postponeWhatNeedsPostData(entries, byId, (entry, later) => {
    const parts = new Map([...later].map((id) => [id, through.get(entry.id)?.get(id) ?? null]));
    return split(entry, parts);
  });
  return { stranded, checkTargets };
}

/** Pre-data kinds that can just as well be created after the data (nothing stored depends on them being early). */
const postponable = new Set(['VIEW', 'MATERIALIZED VIEW', 'FUNCTION', 'PROCEDURE', 'DEFAULT']);
const sectionOrder = { 'pre-data': 0, 'post-data': 1, final: 2 } as const;

/**
 * A view or an SQL-standard function body that relies on a primary key (GROUP BY the key,
 * selecting other columns) can only be created after that constraint, which comes after the
 * data: like pg_dump, such objects (and whatever depends on them) move to the post-data section,
 * where the dependency edges order them after the constraint. Returns the entries that need a
 * later one but cannot move (a table whose default calls such a function): they cannot restore.
 */
function postponeWhatNeedsPostData(entries: Entry[], byId: Map<string, Entry>, split: (entry: Entry, later: string[]) => Entry[] | null): Entry[] {
  let moved = true;
  while (moved) {
    moved = false;
    for (const entry of entries) {
      if (entry.section !== 'pre-data' || !postponable.has(entry.type)) continue;
      const needsPostData = [...entry.dependsOn].some((id) => byId.get(id)?.section === 'post-data');
      if (needsPostData) {
        entry.section = 'post-data';
        // pg_dump writes a view it postpones as a RULE entry (CREATE OR REPLACE VIEW): it sorts among the rules.
        if (entry.type === 'VIEW' || entry.type === 'MATERIALIZED VIEW') entry.priority = Priority.rule;
        entry.sortName = entry.name;
        moved = true;
      }
    }
  }
  const laterTargets = (entry: Entry) =>
    [...entry.dependsOn].filter((id) => {
      const target = byId.get(id);
      return target !== undefined && sectionOrder[target.section] > sectionOrder[entry.section];
    });
  const stranded: Entry[] = [];
  for (const entry of [...entries]) {
    const later = laterTargets(entry);
    if (later.length === 0) continue;
    const splitOut = entry.section === 'pre-data' && (entry.type === 'TABLE' || entry.type === 'FOREIGN TABLE') ? split(entry, later) : null;
    if (splitOut === null) {
      stranded.push(entry);
      continue;
    }
    for (const added of splitOut) {
      entries.push(added);
      byId.set(added.id, added);
    }
  }
  // Edges between sections are satisfied by the section order itself.
  for (const entry of entries) {
    for (const id of entry.dependsOn) if (byId.get(id)?.section !== entry.section) entry.dependsOn.delete(id);
  }
  return stranded;
}

function catalogName(regclassText: string): string {
  return regclassText.replace(/^pg_catalog\./, '');
}

export { IdentifierQuoter };
