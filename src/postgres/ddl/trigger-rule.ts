import type { RuleRow, TriggerRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type Entry, Priority } from '../ddl.ts';
import { commentOn } from './clauses.ts';

// Triggers (CREATE [CONSTRAINT] TRIGGER) and rules (CREATE RULE): what fires on a table.

const enableStates: Record<string, string> = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' };

/**
 * A trigger or a rule: both live on a table, may be disabled or fire only in replica mode (ALTER
 * TABLE ... DISABLE TRIGGER|RULE ...), carry a comment, and are dropped by name on their table.
 */
function onTableEntry(kind: 'TRIGGER' | 'RULE', id: string, definition: string, row: TriggerRow | RuleRow, q: IdentifierQuoter): Entry {
  const table = q.qualified(row.schema, row.table);
  let sql = `${definition}\n`;
  const state = enableStates[row.enabled];
  if (state !== undefined) sql += `\nALTER TABLE ${table} ${state} ${kind} ${q.ident(row.name)};\n`;
  sql += commentOn(`${kind} ${q.ident(row.name)} ON ${table}`, row.comment);
  return {
    id, section: 'post-data', priority: kind === 'TRIGGER' ? Priority.trigger : Priority.rule, type: kind, schema: row.schema,
    name: `${row.table} ${row.name}`, sortName: row.table, owner: null, sql,
    drop: `DROP ${kind} IF EXISTS ${q.ident(row.name)} ON ${table};`, dependsOn: new Set(),
  };
}

/** pg_get_triggerdef writes CREATE [CONSTRAINT] TRIGGER without the semicolon. */
export function triggerEntry(row: TriggerRow, q: IdentifierQuoter): Entry {
  if (row.parentTrigger !== null) return cloneStateEntry(row, q);
  return onTableEntry('TRIGGER', `pg_trigger:${row.oid}`, `${row.definition};`, row, q);
}

/**
 * A partition's clone of its parent's trigger, enabled or disabled unlike the parent's: CREATE
 * TRIGGER on the parent makes the clone, so only its state is written, after that (pg_dump's form).
 */
function cloneStateEntry(row: TriggerRow, q: IdentifierQuoter): Entry {
  const table = q.qualified(row.schema, row.table);
  return {
    id: `pg_trigger:${row.oid}`, section: 'post-data', priority: Priority.trigger, type: 'TRIGGER', schema: row.schema,
    name: `${row.table} ${row.name}`, sortName: row.table, owner: null,
    sql: `ALTER TABLE ${table} ${enableStates[row.enabled] ?? 'ENABLE'} TRIGGER ${q.ident(row.name)};\n`,
    drop: null, dependsOn: new Set([`pg_trigger:${row.parentTrigger}`]),
  };
}

/** pg_get_ruledef ends its CREATE RULE with a semicolon, or not (a rule whose action list is in parentheses). */
export function ruleEntry(row: RuleRow, q: IdentifierQuoter): Entry {
  return onTableEntry('RULE', `pg_rewrite:${row.oid}`, row.definition.replace(/;?\s*$/, ';'), row, q);
}
