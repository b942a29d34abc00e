import type { ColumnRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import type { DdlOptions } from '../ddl.ts';

/** Clauses that statements of several kinds end with or contain. */

/** `COMMENT ON ... IS '...';` or nothing. */
export function commentOn(target: string, comment: string | null): string {
  return comment === null ? '' : `\nCOMMENT ON ${target} IS ${quoteLiteral(comment)};\n`;
}

/** `ALTER <kind> ... OWNER TO ...;` when the dump keeps owners (--owner), else nothing. */
export function ownerTo(kind: string, target: string, owner: string, q: IdentifierQuoter, options: DdlOptions): string {
  return options.owner ? `\nALTER ${kind} ${target} OWNER TO ${q.ident(owner)};\n` : '';
}

/** `<before>OPTIONS (\n    name 'value',\n    ...\n)` (a foreign-data object's options) as pg_dump writes it, or nothing. */
export function optionsClause(options: Array<[string, string]> | null, q: IdentifierQuoter, before = ' '): string {
  if (options === null || options.length === 0) return '';
  return `${before}OPTIONS (\n    ${options.map(([name, value]) => `${q.ident(name)} ${quoteLiteral(value)}`).join(',\n    ')}\n)`;
}

/** ` WITH (key='value', toast.key='value')` from reloptions text (`key=value`), or nothing. */
export function withOptions(options: string[] | null, toastOptions: string[] | null): string {
  const all = [...(options ?? []).map((o) => splitOption(o)), ...(toastOptions ?? []).map((o) => splitOption(o, 'toast.'))];
  if (all.length === 0) return '';
  return `\nWITH (${all.map(([key, value]) => `${key}=${quoteLiteral(value)}`).join(', ')})`;
}

/** `key=value` (as reloptions and attoptions store it) as [prefix + key, value]. */
export function splitOption(option: string, prefix = ''): [string, string] {
  const at = option.indexOf('=');
  return [`${prefix}${option.slice(0, at)}`, option.slice(at + 1)];
}

/**
 * A table's or materialized view's CREATE under its access method when that is not heap: as
 * pg_dump, through default_table_access_method (never USING), reset afterwards so that the
 * script's later CREATEs keep the session's default.
 */
export function underAccessMethod(create: string, accessMethod: string | null, q: IdentifierQuoter): string {
  return accessMethod === null ? create : `SET default_table_access_method = ${q.ident(accessMethod)};\n\n${create}RESET default_table_access_method;\n`;
}

/** A column DEFAULT as a statement of its own (pg_dump's ATTRDEF entry). */
export function setDefault(table: string, column: ColumnRow, q: IdentifierQuoter): string {
  return `ALTER TABLE ONLY ${table} ALTER COLUMN ${q.ident(column.name)} SET DEFAULT ${column.defaultExpr};\n`;
}
