import type { EventTriggerRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// CREATE EVENT TRIGGER, in pg_dump's layout. Like pg_dump, event triggers come last (after the
// grants, before materialized views are refreshed): created earlier, they would fire on the
// restore's own DDL.

const enableStates: Record<string, string> = { D: 'DISABLE', A: 'ENABLE ALWAYS', R: 'ENABLE REPLICA' };

export function eventTriggerEntry(row: EventTriggerRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.ident(row.name);
  let sql = `CREATE EVENT TRIGGER ${name} ON ${q.ident(row.event)}`;
  if (row.tags !== null) sql += `\n         WHEN TAG IN (${row.tags})`;
  sql += `\n   EXECUTE FUNCTION ${row.function}();\n`;
  const state = enableStates[row.enabled];
  if (state !== undefined) sql += `\nALTER EVENT TRIGGER ${name} ${state};\n`;
  sql += `${ownerTo('EVENT TRIGGER', name, row.owner, q, options)}${commentOn(`EVENT TRIGGER ${name}`, row.comment)}`;
  return {
    id: `pg_event_trigger:${row.oid}`, section: 'final', priority: Priority.eventTrigger, type: 'EVENT TRIGGER', schema: null,
    name: row.name, owner: row.owner, sql, drop: `DROP EVENT TRIGGER IF EXISTS ${name};`, dependsOn: new Set(),
  };
}
