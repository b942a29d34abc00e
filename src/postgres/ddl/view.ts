import type { ColumnRow, RelationRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo, setDefault, underAccessMethod, withOptions } from './clauses.ts';
import { columnGrants, grants } from './privileges.ts';
import { inTablespace } from './index.ts';
import { columnAlters } from './table.ts';

// Views and materialized views, their column DEFAULTs, and REFRESH MATERIALIZED VIEW.

/** A view or materialized view (the latter created empty; REFRESH comes at the very end). */
export function viewEntries(relation: RelationRow, columns: ColumnRow[], q: IdentifierQuoter, options: DdlOptions): Entry[] {
  const name = q.qualified(relation.schema, relation.name);
  const definition = (relation.viewdef ?? '').replace(/;\s*$/, '');
  const viewOptions = (relation.options ?? []).filter((o) => !o.startsWith('check_option='));
  const checkOption = (relation.options ?? []).find((o) => o.startsWith('check_option='))?.split('=')[1];
  const isMaterialized = relation.relkind === 'm';
  const kind = isMaterialized ? 'MATERIALIZED VIEW' : 'VIEW';
  let sql = `CREATE ${kind} ${name}${withOptions(viewOptions, null).replace(/^\n/, ' ')} AS\n${definition}`;
  if (checkOption !== undefined) sql += `\n  WITH ${checkOption.toUpperCase()} CHECK OPTION`;
  sql += isMaterialized ? '\n  WITH NO DATA;\n' : ';\n';
  sql = inTablespace(underAccessMethod(sql, relation.accessMethod, q), relation.tablespace, q);
  if (isMaterialized) {
    const alters = columnAlters(`ALTER MATERIALIZED VIEW ${name}`, columns, q);
    if (alters.length > 0) sql += `${alters.join('\n')}\n`;
  }
  sql += ownerTo(isMaterialized ? 'MATERIALIZED VIEW' : 'VIEW', name, relation.owner, q, options);
  sql += commentOn(`${kind} ${name}`, relation.comment);
  for (const column of columns) sql += commentOn(`COLUMN ${name}.${q.ident(column.name)}`, column.comment);
  sql += grants('TABLE', name, relation.owner, relation.acl, q, options, relation.ownerHasAll ?? false);
  sql += columnGrants(name, relation.owner, columns, q, options);
  const entries: Entry[] = [{
    id: `pg_class:${relation.oid}`, section: 'pre-data', priority: Priority.relation, type: kind, schema: relation.schema,
    name: relation.name, owner: relation.owner, sql, drop: `DROP ${kind} IF EXISTS ${name};`, dependsOn: new Set(),
  }];
  // Defaults on view columns (for INSERTs through the view) are their own statements.
  for (const column of columns.filter((c) => c.defaultExpr !== null)) {
    entries.push({
      id: `view-default:${relation.oid}:${column.num}`, section: 'pre-data', priority: Priority.attributeDefault, type: 'DEFAULT',
      schema: relation.schema, name: `${relation.name} ${column.name}`, owner: null,
      sql: setDefault(name, column, q),
      drop: null, dependsOn: new Set([`pg_class:${relation.oid}`]),
    });
  }
  if (isMaterialized && relation.populated) {
    entries.push({
      id: `refresh:${relation.oid}`, section: 'final', priority: Priority.refreshMaterializedView, type: 'MATERIALIZED VIEW DATA',
      schema: relation.schema, name: relation.name, owner: relation.owner,
      sql: `REFRESH MATERIALIZED VIEW ${name};\n`, drop: null, dependsOn: new Set(),
    });
  }
  return entries;
}
