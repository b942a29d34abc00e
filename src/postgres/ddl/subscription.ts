import type { SubscriptionRow } from '../catalog.ts';
import { quoteLiteral, type IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';

// Subscriptions, as pg_dump writes them: WITH (connect = false), so the restore neither reaches the
// publisher nor creates a slot, and the subscription comes back disabled, to be enabled (and
// refreshed) by hand. The connection string is in the script, as in pg_dump's: it may hold a
// password, so it is never logged (restore-db hides the whole connection string in a failing statement's excerpt).

export function subscriptionEntry(row: SubscriptionRow, q: IdentifierQuoter, options: DdlOptions): Entry {
  const name = q.ident(row.name);
  const settings = [`connect = false`, `slot_name = ${row.slotName === null ? 'NONE' : quoteLiteral(row.slotName)}`];
  if (row.binary) settings.push('binary = true');
  // Always written: the default changed (off up to 17, parallel from 18).
  settings.push(`streaming = ${row.streaming === 't' ? 'on' : row.streaming === 'p' ? 'parallel' : 'off'}`);
  if (row.twoPhase) settings.push('two_phase = on');
  if (row.disableOnError) settings.push('disable_on_error = true');
  if (!row.passwordRequired) settings.push('password_required = false');
  if (row.runAsOwner) settings.push('run_as_owner = true');
  if (row.failover) settings.push('failover = true');
  if (row.synchronousCommit !== 'off') settings.push(`synchronous_commit = ${q.ident(row.synchronousCommit)}`);
  if (row.origin.toLowerCase() !== 'any') settings.push(`origin = ${row.origin}`);
  const sql = `CREATE SUBSCRIPTION ${name} CONNECTION ${quoteLiteral(row.conninfo)} PUBLICATION ${row.publications.map((p) => q.ident(p)).join(', ')} WITH (${settings.join(', ')});\n` +
    `${ownerTo('SUBSCRIPTION', name, row.owner, q, options)}${commentOn(`SUBSCRIPTION ${name}`, row.comment)}`;
  // pg_dump's DROP SUBSCRIPTION IF EXISTS fails on a subscription with a slot (it would drop the
  // slot on the publisher, which it cannot reach, and never inside a transaction). A restored one
  // has its slot name but never made that slot: it is detached from it first, then dropped.
  const guarded = [`ALTER SUBSCRIPTION ${name} DISABLE`, `ALTER SUBSCRIPTION ${name} SET (slot_name = NONE)`, `DROP SUBSCRIPTION ${name}`]
    .map((statement) => `        EXECUTE ${quoteLiteral(statement)};`).join('\n');
  const drop = `DO $immich_backup$\nBEGIN\n    IF EXISTS (SELECT 1 FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON d.oid = s.subdbid\n` +
    `                WHERE s.subname = ${quoteLiteral(row.name)} AND d.datname = pg_catalog.current_database()) THEN\n${guarded}\n    END IF;\nEND\n$immich_backup$;`;
  return {
    id: `pg_subscription:${row.oid}`, section: 'post-data', priority: Priority.subscription, type: 'SUBSCRIPTION', schema: null,
    name: row.name, owner: row.owner, sql, drop, dependsOn: new Set(),
  };
}
