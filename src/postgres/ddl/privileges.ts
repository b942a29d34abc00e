import type { AclPrivilege, BuiltinAclRow, ColumnRow, DefaultAclRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';

// GRANT / REVOKE: an object's ACL (read with aclexplode(), never parsed from aclitem text), column
// privileges, changed privileges of built-in objects, and ALTER DEFAULT PRIVILEGES.

/** One aclitem: what `grantor` gave `grantee` (null: PUBLIC), without and with the grant option. */
interface AclItem {
  grantee: string | null;
  grantor: string;
  plain: string[];
  withOption: string[];
  /** Equal for equal items: how an ACL is compared with its baseline. */
  key: string;
}

/** Groups aclexplode()'s privileges back into items (one per grantee and grantor), in the ACL's order. */
function aclItems(privileges: AclPrivilege[]): AclItem[] {
  const items = new Map<string, Omit<AclItem, 'key'>>();
  for (const { grantee, grantor, privilege, grantable } of privileges) {
    const pair = JSON.stringify([grantee, grantor]);
    const item = items.get(pair) ?? { grantee, grantor, plain: [], withOption: [] };
    items.set(pair, item);
    (grantable ? item.withOption : item.plain).push(privilege);
  }
  return [...items.values()].map((item) => ({ ...item, key: JSON.stringify([item.grantee, item.grantor, item.plain, item.withOption]) }));
}

const granteeSql = (item: AclItem, q: IdentifierQuoter) => (item.grantee === null ? 'PUBLIC' : q.ident(item.grantee));

/**
 * GRANT statements for one ACL item, on `on` (e.g. `ON TABLE s.t`; `privileges` puts a column's
 * name after each privilege). A grant made by someone other than the object's owner (who
 * held the grant option) is made as that role, as pg_dump does: a superuser's GRANT is recorded
 * as the owner's.
 */
function grantStatements(item: AclItem, privileges: (names: string[]) => string, on: string, q: IdentifierQuoter, owner: string | null): string[] {
  const lines: string[] = [];
  if (item.plain.length > 0) lines.push(`GRANT ${privileges(item.plain)} ${on} TO ${granteeSql(item, q)};`);
  if (item.withOption.length > 0) lines.push(`GRANT ${privileges(item.withOption)} ${on} TO ${granteeSql(item, q)} WITH GRANT OPTION;`);
  if (owner === null || item.grantor === owner || lines.length === 0) return lines;
  return [`SET SESSION AUTHORIZATION ${q.ident(item.grantor)};`, ...lines, 'RESET SESSION AUTHORIZATION;'];
}

/**
 * GRANTs that recreate an object's ACL exactly: revoke the built-in defaults, then grant each
 * item. pg_dump diffs against acldefault() to print fewer lines; the resulting ACL is the same.
 * `ownerHasAll`: the owner holds all the privileges the source server has for the object, which
 * are left as the target server's defaults, as pg_dump does. Spelled out, they would be fewer on a
 * newer server (a 14 table's owner would lose 17's MAINTAIN: no VACUUM or REFRESH of its own table).
 */
export function grants(kind: string, target: string, owner: string, acl: AclPrivilege[] | null, q: IdentifierQuoter, options: DdlOptions, ownerHasAll = false): string {
  if (!options.owner || acl === null) return '';
  const lines = [`REVOKE ALL ON ${kind} ${target} FROM PUBLIC;`];
  if (!ownerHasAll) lines.push(`REVOKE ALL ON ${kind} ${target} FROM ${q.ident(owner)};`);
  for (const item of aclItems(acl)) {
    if (ownerHasAll && item.grantee === owner && item.grantor === owner && item.withOption.length === 0) continue;
    lines.push(...grantStatements(item, (names) => names.join(','), `ON ${kind} ${target}`, q, owner));
  }
  return `\n${lines.join('\n')}\n`;
}

/**
 * The statements that turn an ACL equal to `baseline` into `acl` (pg_dump's buildACLCommands with
 * a baseline): REVOKE ALL from each grantee whose baseline item is gone or changed, then GRANT each
 * item the baseline lacks. Running them again changes nothing, so a restore over itself is safe.
 */
function aclChanges(
  acl: AclPrivilege[],
  baseline: AclPrivilege[],
  q: IdentifierQuoter,
  revoke: (grantee: string) => string,
  grant: (item: AclItem) => string[],
): string[] {
  const current = aclItems(acl);
  const initial = aclItems(baseline);
  const currentKeys = new Set(current.map((item) => item.key));
  const initialKeys = new Set(initial.map((item) => item.key));
  const lines: string[] = [];
  const revoked = new Set<string | null>();
  for (const item of initial) {
    if (currentKeys.has(item.key) || revoked.has(item.grantee)) continue;
    revoked.add(item.grantee);
    lines.push(revoke(granteeSql(item, q)));
  }
  for (const item of current) if (!initialKeys.has(item.key)) lines.push(...grant(item));
  return lines;
}

/** Column privileges (`GRANT SELECT(c) ON TABLE s.t TO r`): a new column has none, so they are granted as they are. */
export function columnGrants(table: string, owner: string, columns: ColumnRow[], q: IdentifierQuoter, options: DdlOptions): string {
  if (!options.owner) return '';
  const lines: string[] = [];
  for (const column of columns) {
    for (const item of aclItems(column.acl ?? [])) {
      lines.push(...grantStatements(item, (names) => names.map((n) => `${n}(${q.ident(column.name)})`).join(','), `ON TABLE ${table}`, q, owner));
    }
  }
  return lines.length === 0 ? '' : `\n${lines.join('\n')}\n`;
}

/**
 * Changed privileges of an object the dump does not create (a pg_catalog function, the plpgsql
 * language, an extension's table...): only the difference from its initial privileges.
 */
export function builtinAclEntry(row: BuiltinAclRow, q: IdentifierQuoter): Entry {
  const on = `ON ${row.kind} ${row.target}`;
  const column = row.column === null ? null : q.ident(row.column);
  const privileges = (names: string[]) => names.map((n) => (column === null ? n : `${n}(${column})`)).join(',');
  const lines = aclChanges(
    row.acl,
    row.baseline,
    q,
    (grantee) => `REVOKE ${column === null ? 'ALL' : `ALL(${column})`} ${on} FROM ${grantee};`,
    (item) => grantStatements(item, privileges, on, q, row.owner),
  );
  return {
    id: `acl:${row.classid}:${row.oid}:${row.subid}`, section: 'final', priority: Priority.acl, type: 'ACL', schema: null,
    name: `${row.kind} ${row.target}${row.column === null ? '' : ` column ${row.column}`}`, owner: null,
    sql: `${lines.join('\n')}\n`, drop: null, dependsOn: new Set(),
  };
}

const defaultAclKinds: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS', L: 'LARGE OBJECTS' };

/** A dollar-quoted literal whose tag does not occur in the text. */
function dollarQuoted(text: string): string {
  let tag = 'immich_backup';
  while (text.includes(`$${tag}$`)) tag += '_';
  return `$${tag}$${text}$${tag}$`;
}

/**
 * ALTER DEFAULT PRIVILEGES, in the ACL pass: objects the restore creates must not get them. Its
 * --clean statement puts the defaults back first (objects recreated by a restore over an earlier
 * one would get them otherwise); for a schema, only if the schema is there.
 */
export function defaultAclEntry(row: DefaultAclRow, q: IdentifierQuoter): Entry | null {
  const objects = defaultAclKinds[row.objtype];
  if (objects === undefined) return null;
  const prefix = `ALTER DEFAULT PRIVILEGES FOR ROLE ${q.ident(row.role)}${row.schema === null ? '' : ` IN SCHEMA ${q.ident(row.schema)}`}`;
  const privileges = (names: string[]) => names.join(',');
  const change = (from: AclPrivilege[], to: AclPrivilege[]) =>
    aclChanges(to, from, q, (grantee) => `${prefix} REVOKE ALL ON ${objects} FROM ${grantee};`, (item) =>
      grantStatements(item, privileges, `ON ${objects}`, q, null).map((line) => `${prefix} ${line}`));
  const apply = change(row.baseline, row.acl);
  if (apply.length === 0) return null;
  const reset = change(row.acl, row.baseline);
  let drop: string | null = reset.length === 0 ? null : reset.join('\n');
  if (drop !== null && row.schema !== null) {
    const statements = reset.map((line) => `        EXECUTE ${quoteLiteral(line)};`).join('\n');
    drop = `DO ${dollarQuoted(`\nBEGIN\n    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${quoteLiteral(row.schema)}) THEN\n${statements}\n    END IF;\nEND\n`)};`;
  }
  return {
    id: `pg_default_acl:${row.oid}`, section: 'final', priority: Priority.defaultAcl, type: 'DEFAULT ACL', schema: row.schema,
    name: `DEFAULT PRIVILEGES FOR ${objects}`, owner: row.role, sql: `${apply.join('\n')}\n`, drop, dependsOn: new Set(),
  };
}
