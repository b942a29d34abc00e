import type { PolicyRow, RelationRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';
import { commentOn } from './clauses.ts';

// Row level security: CREATE POLICY, and ENABLE ROW LEVEL SECURITY on a table.

const policyCommands: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

export function policyEntry(row: PolicyRow, q: IdentifierQuoter): Entry {
  const table = q.qualified(row.schema, row.table);
  let sql = `CREATE POLICY ${q.ident(row.name)} ON ${table}`;
  if (!row.permissive) sql += ' AS RESTRICTIVE';
  const command = policyCommands[row.command];
  if (command !== undefined) sql += ` FOR ${command}`;
  if (row.roles !== null) sql += ` TO ${row.roles.join(', ')}`;
  if (row.qual !== null) sql += ` USING (${row.qual})`;
  if (row.withCheck !== null) sql += ` WITH CHECK (${row.withCheck})`;
  sql += `;\n${commentOn(`POLICY ${q.ident(row.name)} ON ${table}`, row.comment)}`;
  return {
    id: `pg_policy:${row.oid}`, section: 'post-data', priority: Priority.policy, type: 'POLICY', schema: row.schema,
    name: `${row.table} ${row.name}`, sortName: row.table, owner: null, sql,
    drop: `DROP POLICY IF EXISTS ${q.ident(row.name)} ON ${table};`, dependsOn: new Set(),
  };
}

export function rowSecurityEntry(relation: RelationRow, q: IdentifierQuoter): Entry {
  return {
    id: `row-security:${relation.oid}`, section: 'post-data', priority: Priority.rowSecurity, type: 'ROW SECURITY',
    schema: relation.schema, name: relation.name, sortName: relation.name, owner: null,
    sql: `ALTER TABLE ${q.qualified(relation.schema, relation.name)} ENABLE ROW LEVEL SECURITY;\n`, drop: null, dependsOn: new Set(),
  };
}
