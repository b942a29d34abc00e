import type { OperatorClassRow, OperatorFamilyRow, OperatorMemberRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// Operator families and operator classes, in pg_dump's layout: a class with its own operators and
// support functions; a family with the members bound to it alone (ALTER OPERATOR FAMILY ... ADD).

/** `OPERATOR n op(types) [FOR ORDER BY family]` and `FUNCTION n (types) f(args)` items, operators first (the query's order). */
function memberItems(members: OperatorMemberRow[], q: IdentifierQuoter): string[] {
  return members.map((member) => {
    if (member.leftType === null || member.rightType === null) {
      const sortFamily = member.sortFamily === null ? '' : ` FOR ORDER BY ${q.qualified(member.sortFamily[0], member.sortFamily[1])}`;
      return `OPERATOR ${member.number} ${member.member}${sortFamily}`;
    }
    return `FUNCTION ${member.number} (${member.leftType}, ${member.rightType}) ${member.member}`;
  });
}

/** Null for a family CREATE OPERATOR CLASS makes itself (same name, schema and owner, nothing else in it), as pg_dump leaves it. */
export function operatorFamilyEntry(row: OperatorFamilyRow, members: OperatorMemberRow[], q: IdentifierQuoter, options: DdlOptions): Entry | null {
  if (row.implicit) return null;
  const name = `${q.qualified(row.schema, row.name)} USING ${q.ident(row.method)}`;
  let sql = `CREATE OPERATOR FAMILY ${name};\n`;
  const items = memberItems(members, q);
  if (items.length > 0) sql += `ALTER OPERATOR FAMILY ${name} ADD\n    ${items.join(' ,\n    ')};\n`;
  sql += `${ownerTo('OPERATOR FAMILY', name, row.owner, q, options)}${commentOn(`OPERATOR FAMILY ${name}`, row.comment)}`;
  return {
    id: `pg_opfamily:${row.oid}`, section: 'pre-data', priority: Priority.operatorFamily, type: 'OPERATOR FAMILY', schema: row.schema,
    name: `${row.name} USING ${row.method}`, owner: row.owner, sql, drop: `DROP OPERATOR FAMILY IF EXISTS ${name};`, dependsOn: new Set(),
  };
}

export function operatorClassEntry(row: OperatorClassRow, members: OperatorMemberRow[], q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = `${q.qualified(row.schema, row.name)} USING ${q.ident(row.method)}`;
  let sql = `CREATE OPERATOR CLASS ${q.qualified(row.schema, row.name)}\n    ${row.default ? 'DEFAULT ' : ''}FOR TYPE ${row.type} USING ${q.ident(row.method)}`;
  if (row.family !== null) sql += ` FAMILY ${q.qualified(row.family[0], row.family[1])}`;
  const items = [...(row.storage === null ? [] : [`STORAGE ${row.storage}`]), ...memberItems(members, q)];
  // AS needs at least one item: STORAGE of the input type is the default anyway.
  if (items.length === 0) items.push(`STORAGE ${row.type}`);
  sql += ` AS\n    ${items.join(',\n    ')};\n`;
  sql += `${ownerTo('OPERATOR CLASS', name, row.owner, q, options)}${commentOn(`OPERATOR CLASS ${name}`, row.comment)}`;
  return {
    id: `pg_opclass:${row.oid}`, section: 'pre-data', priority: Priority.operatorFamily, type: 'OPERATOR CLASS', schema: row.schema,
    name: `${row.name} USING ${row.method}`, owner: row.owner, sql,
    // The family of its own name that CREATE OPERATOR CLASS made stays behind when the class is
    // dropped (and then keeps its schema from being dropped): --clean drops it with the class.
    drop: `DROP OPERATOR CLASS IF EXISTS ${name};${row.family === null ? `\nDROP OPERATOR FAMILY IF EXISTS ${name};` : ''}`,
    dependsOn: new Set(),
  };
}
