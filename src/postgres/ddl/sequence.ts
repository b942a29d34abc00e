import type { RelationRow, SequenceRow } from '../catalog.ts';
import type { IdentifierQuoter } from '../quote.ts';
import { type DdlOptions, type Entry, Priority } from '../ddl.ts';
import { commentOn, ownerTo } from './clauses.ts';
import { grants } from './privileges.ts';

// CREATE SEQUENCE with its OWNED BY, or an identity column's ADD GENERATED ... AS IDENTITY.

const sequenceTypeLimits: Record<string, { min: bigint; max: bigint }> = {
  smallint: { min: -32768n, max: 32767n },
  integer: { min: -2147483648n, max: 2147483647n },
  bigint: { min: -9223372036854775808n, max: 9223372036854775807n },
};

/** START/INCREMENT/MIN/MAX/CACHE lines shared by CREATE SEQUENCE and identity columns. */
function sequenceOptions(row: SequenceRow, indent: string, withType: boolean): string[] {
  const limits = sequenceTypeLimits[row.type] ?? sequenceTypeLimits.bigint!;
  const ascending = BigInt(row.increment) > 0n;
  const defaultMin = ascending ? 1n : limits.min;
  const defaultMax = ascending ? limits.max : -1n;
  const lines: string[] = [];
  if (withType && row.type !== 'bigint') lines.push(`${indent}AS ${row.type}`);
  lines.push(`${indent}START WITH ${row.start}`, `${indent}INCREMENT BY ${row.increment}`);
  lines.push(BigInt(row.min) === defaultMin ? `${indent}NO MINVALUE` : `${indent}MINVALUE ${row.min}`);
  lines.push(BigInt(row.max) === defaultMax ? `${indent}NO MAXVALUE` : `${indent}MAXVALUE ${row.max}`);
  lines.push(`${indent}CACHE ${row.cache}`);
  if (row.cycle) lines.push(`${indent}CYCLE`);
  return lines;
}

/**
 * A sequence: CREATE SEQUENCE for plain and serial ones (+ a separate OWNED BY entry), or, for an
 * identity column, an ADD GENERATED entry that keeps the sequence's real name (Immich's
 * naturalearth_countries_tmp_id_seq), never the inline form that would rename it.
 */
export function sequenceEntries(
  row: SequenceRow,
  relation: RelationRow | undefined,
  ownerTable: RelationRow | undefined,
  identityKind: string | undefined,
  q: IdentifierQuoter,
  options: DdlOptions,
): Entry[] {
  const name = q.qualified(row.schema, row.name);
  if (row.identity && ownerTable !== undefined && row.ownedByColumn !== null) {
    const table = q.qualified(ownerTable.schema, ownerTable.name);
    const generated = identityKind === 'd' ? 'BY DEFAULT' : 'ALWAYS';
    return [{
      id: `pg_class:${row.oid}`, section: 'pre-data', priority: Priority.identity, type: 'SEQUENCE', schema: row.schema,
      name: row.name, owner: null,
      sql: `ALTER TABLE ${table} ALTER COLUMN ${q.ident(row.ownedByColumn)} ADD GENERATED ${generated} AS IDENTITY (\n${[
        `    SEQUENCE NAME ${name}`,
        ...sequenceOptions(row, '    ', false),
      ].join('\n')}\n);\n${
        // The sequence's persistence is its own (an unlogged identity sequence on a logged table, or the reverse).
        row.persistence === 'u' ? `ALTER SEQUENCE ${name} SET UNLOGGED;\n` : ownerTable.persistence === 'u' ? `ALTER SEQUENCE ${name} SET LOGGED;\n` : ''
      }${commentOn(`SEQUENCE ${name}`, relation?.comment ?? null)}${grants('SEQUENCE', name, ownerTable.owner, relation?.acl ?? null, q, options)}`,
      drop: null,
      dependsOn: new Set([`pg_class:${ownerTable.oid}`]),
    }];
  }
  const owner = relation?.owner ?? null;
  const entries: Entry[] = [{
    id: `pg_class:${row.oid}`, section: 'pre-data', priority: Priority.relation, type: 'SEQUENCE', schema: row.schema,
    name: row.name, owner,
    sql: `CREATE ${row.persistence === 'u' ? 'UNLOGGED ' : ''}SEQUENCE ${name}\n${sequenceOptions(row, '    ', true).join('\n')};\n${
      owner === null ? '' : ownerTo('SEQUENCE', name, owner, q, options)
    }${commentOn(`SEQUENCE ${name}`, relation?.comment ?? null)}${owner === null ? '' : grants('SEQUENCE', name, owner, relation?.acl ?? null, q, options)}`,
    drop: `DROP SEQUENCE IF EXISTS ${name};`,
    dependsOn: new Set(),
  }];
  if (ownerTable !== undefined && row.ownedByColumn !== null) {
    entries.push({
      id: `owned-by:${row.oid}`, section: 'pre-data', priority: Priority.ownedBy, type: 'SEQUENCE OWNED BY', schema: row.schema,
      name: row.name, owner: null,
      sql: `ALTER SEQUENCE ${name} OWNED BY ${q.qualified(ownerTable.schema, ownerTable.name)}.${q.ident(row.ownedByColumn)};\n`,
      drop: null,
      dependsOn: new Set([`pg_class:${row.oid}`, `pg_class:${ownerTable.oid}`]),
    });
  }
  return entries;
}
