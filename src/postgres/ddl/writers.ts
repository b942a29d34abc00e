import { accessMethodEntry } from './access-method.ts';
import { aggregateEntry } from './aggregate.ts';
import { castEntry } from './cast.ts';
import { collationEntry } from './collation.ts';
import { conversionEntry } from './conversion.ts';
import { constraintEntry, notNullEntry, validateInheritedEntry } from './constraint.ts';
import { databaseSettingsEntry } from './database-settings.ts';
import { eventTriggerEntry } from './event-trigger.ts';
import { extensionEntry } from './extension.ts';
import { foreignDataWrapperEntry, foreignServerEntry, userMappingEntry } from './foreign-data.ts';
import { functionEntry } from './function.ts';
import { indexAttachEntry, indexEntry } from './index.ts';
import { largeObjectEntry } from './large-object.ts';
import { policyEntry, rowSecurityEntry } from './policy.ts';
import { operatorEntry } from './operator.ts';
import { operatorClassEntry, operatorFamilyEntry } from './operator-class.ts';
import { builtinAclEntry, defaultAclEntry } from './privileges.ts';
import { publicationEntry, publicationSchemaEntry, publicationTableEntry } from './publication.ts';
import { schemaEntry } from './schema.ts';
import { sequenceEntries } from './sequence.ts';
import { statisticsEntry } from './statistics.ts';
import { partitionAttachEntry, splitDefaultEntry, tableEntry } from './table.ts';
import { subscriptionEntry } from './subscription.ts';
import { transformEntry } from './transform.ts';
import { textSearchConfigurationEntry, textSearchDictionaryEntry, textSearchParserEntry, textSearchTemplateEntry } from './text-search.ts';
import { ruleEntry, triggerEntry } from './trigger-rule.ts';
import { typeEntries } from './type.ts';
import { viewEntries } from './view.ts';

/**
 * Every DDL writer (src/postgres/ddl/<kind>.ts) with the kinds of object it writes, named as the
 * inventory names them (inventory.ts). The inventory's supported kinds are the kinds listed here,
 * and readCatalog (schema.ts) reaches the writers only through this table, so a kind is supported
 * exactly when a writer writes it. Writers with no kinds write parts of other objects (a
 * partition's ATTACH, a DEFAULT split out of CREATE TABLE...) or of the database (changed
 * privileges of built-in objects, ALTER DATABASE ... SET): nothing the inventory lists.
 */
export const ddlWriters = {
  schema: { kinds: ['schema'], write: schemaEntry },
  collation: { kinds: ['collation'], write: collationEntry },
  transform: { kinds: ['transform'], write: transformEntry },
  extension: { kinds: ['extension'], write: extensionEntry },
  type: { kinds: ['enum type', 'domain', 'composite type', 'range type', 'base type', 'shell type', 'domain constraint'], write: typeEntries },
  cast: { kinds: ['cast'], write: castEntry },
  function: { kinds: ['function', 'procedure', 'window function'], write: functionEntry },
  aggregate: { kinds: ['aggregate'], write: aggregateEntry },
  accessMethod: { kinds: ['access method'], write: accessMethodEntry },
  operator: { kinds: ['operator'], write: operatorEntry },
  operatorFamily: { kinds: ['operator family'], write: operatorFamilyEntry },
  operatorClass: { kinds: ['operator class'], write: operatorClassEntry },
  conversion: { kinds: ['conversion'], write: conversionEntry },
  textSearchParser: { kinds: ['text search parser'], write: textSearchParserEntry },
  textSearchTemplate: { kinds: ['text search template'], write: textSearchTemplateEntry },
  textSearchDictionary: { kinds: ['text search dictionary'], write: textSearchDictionaryEntry },
  textSearchConfiguration: { kinds: ['text search configuration'], write: textSearchConfigurationEntry },
  foreignDataWrapper: { kinds: ['foreign data wrapper'], write: foreignDataWrapperEntry },
  foreignServer: { kinds: ['foreign server'], write: foreignServerEntry },
  userMapping: { kinds: ['user mapping'], write: userMappingEntry },
  table: { kinds: ['table', 'inheritance child', 'foreign table', 'typed table', 'partitioned table', 'partition'], write: tableEntry },
  view: { kinds: ['view', 'materialized view'], write: viewEntries },
  sequence: { kinds: ['sequence'], write: sequenceEntries },
  largeObject: { kinds: ['large object'], write: largeObjectEntry },
  constraint: { kinds: ['constraint'], write: constraintEntry },
  index: { kinds: ['index'], write: indexEntry },
  trigger: { kinds: ['trigger'], write: triggerEntry },
  rule: { kinds: ['rule'], write: ruleEntry },
  eventTrigger: { kinds: ['event trigger'], write: eventTriggerEntry },
  policy: { kinds: ['policy'], write: policyEntry },
  rowSecurity: { kinds: ['row level security'], write: rowSecurityEntry },
  publication: { kinds: ['publication'], write: publicationEntry },
  publicationTable: { kinds: ['publication table'], write: publicationTableEntry },
  publicationSchema: { kinds: ['publication schema'], write: publicationSchemaEntry },
  subscription: { kinds: ['subscription'], write: subscriptionEntry },
  defaultPrivileges: { kinds: ['default privileges'], write: defaultAclEntry },
  partitionAttach: { kinds: [], write: partitionAttachEntry },
  statistics: { kinds: ['extended statistics'], write: statisticsEntry },
  indexAttach: { kinds: [], write: indexAttachEntry },
  notValidNotNull: { kinds: [], write: notNullEntry },
  splitDefault: { kinds: [], write: splitDefaultEntry },
  validateInherited: { kinds: [], write: validateInheritedEntry },
  builtinPrivileges: { kinds: [], write: builtinAclEntry },
  databaseSettings: { kinds: [], write: databaseSettingsEntry },
} as const satisfies Record<string, { kinds: readonly string[]; write: (...args: never[]) => unknown }>;

/** The kinds of object the dump writes: anything else the inventory finds is unsupported. */
export const writtenKinds: ReadonlySet<string> = new Set(Object.values(ddlWriters).flatMap((writer) => writer.kinds));
