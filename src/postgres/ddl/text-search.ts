import type { TextSearchConfigurationRow, TextSearchDictionaryRow, TextSearchParserRow, TextSearchTemplateRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// Text search parsers, templates, dictionaries and configurations, in pg_dump's layout (a
// configuration's mappings as one ALTER ... ADD MAPPING per token type). Parsers and templates
// have no owner.

export function textSearchParserEntry(row: TextSearchParserRow, q: IdentifierQuoter): Entry {
  const name = q.qualified(row.schema, row.name);
  const kind = 'TEXT SEARCH PARSER';
  let sql = `CREATE ${kind} ${name} (\n    START = ${row.start},\n    GETTOKEN = ${row.getToken},\n    END = ${row.end},\n`;
  if (row.headline !== null) sql += `    HEADLINE = ${row.headline},\n`;
  sql += `    LEXTYPES = ${row.lexTypes} );\n${commentOn(`${kind} ${name}`, row.comment)}`;
  return {
    id: `pg_ts_parser:${row.oid}`, section: 'pre-data', priority: Priority.textSearchParser, type: kind, schema: row.schema,
    name: row.name, owner: null, sql, drop: `DROP ${kind} IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

export function textSearchTemplateEntry(row: TextSearchTemplateRow, q: IdentifierQuoter): Entry {
  const name = q.qualified(row.schema, row.name);
  const kind = 'TEXT SEARCH TEMPLATE';
  let sql = `CREATE ${kind} ${name} (\n`;
  if (row.init !== null) sql += `    INIT = ${row.init},\n`;
  sql += `    LEXIZE = ${row.lexize} );\n${commentOn(`${kind} ${name}`, row.comment)}`;
  return {
    id: `pg_ts_template:${row.oid}`, section: 'pre-data', priority: Priority.textSearchTemplate, type: kind, schema: row.schema,
    name: row.name, owner: null, sql, drop: `DROP ${kind} IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

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
