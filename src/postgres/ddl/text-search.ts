import type { TextSearchConfigurationRow, TextSearchDictionaryRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// Text search dictionaries and configurations, in pg_dump's layout (a configuration's mappings as
// one ALTER ... ADD MAPPING per token type). Parsers and templates need C functions and are not written.

export function textSearchDictionaryEntry(row: TextSearchDictionaryRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.qualified(row.schema, row.name);
  const kind = 'TEXT SEARCH DICTIONARY';
  let sql = `CREATE ${kind} ${name} (\n    TEMPLATE = ${q.qualified(row.templateSchema, row.template)}`;
  if (row.options !== null) sql += `,\n    ${row.options}`;
  sql += ` );\n${ownerTo(kind, name, row.owner, q, options)}${commentOn(`${kind} ${name}`, row.comment)}`;
  return {
    id: `pg_ts_dict:${row.oid}`, section: 'pre-data', priority: Priority.textSearchDictionary, type: kind, schema: row.schema,
    name: row.name, owner: row.owner, sql, drop: `DROP ${kind} IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

export function textSearchConfigurationEntry(row: TextSearchConfigurationRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.qualified(row.schema, row.name);
  const kind = 'TEXT SEARCH CONFIGURATION';
  let sql = `CREATE ${kind} ${name} (\n    PARSER = ${q.qualified(row.parserSchema, row.parser)} );\n`;
  for (const mapping of row.mappings ?? []) {
    sql += `\nALTER ${kind} ${name}\n    ADD MAPPING FOR ${q.ident(mapping.token)} WITH ${mapping.dictionaries.join(', ')};\n`;
  }
  sql += `${ownerTo(kind, name, row.owner, q, options)}${commentOn(`${kind} ${name}`, row.comment)}`;
  return {
    id: `pg_ts_config:${row.oid}`, section: 'pre-data', priority: Priority.textSearchConfiguration, type: kind, schema: row.schema,
    name: row.name, owner: row.owner, sql, drop: `DROP ${kind} IF EXISTS ${name};`, dependsOn: new Set(),
  };
}
