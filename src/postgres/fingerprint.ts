import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createGzip, gunzipSync } from 'node:zlib';
import type pg from 'pg';
import { z } from 'zod';

/**
 * The catalog fingerprint: every user object of a database with all of its catalog properties,
 * read with catalog queries of its own (src/postgres/fingerprint/*.sql), never with the queries
 * that write the dump's DDL. Taken at dump time in the dump's snapshot and stored in the
 * manifest; `verify` takes it again on the restored scratch database and names every object and
 * property that differs. A property the DDL generator forgets therefore shows up as a difference
 * instead of being lost silently.
 */

/** One object's properties, flattened (`index.indisclustered`), values as the catalog query gave them. */
export type ObjectProperties = Record<string, unknown>;

export interface CatalogFingerprint {
  /** server_version_num of the database described: catalog rows differ between major versions. */
  serverVersionNum: number;
  /** Whether owners and privileges were described (the dump kept them: --owner). */
  owner: boolean;
  /** Object identity (`table public.asset`, `table column public.asset.id`...) → its properties. */
  objects: Map<string, ObjectProperties>;
}

export interface FingerprintOptions {
  /** Describe owners and privileges too; only when the dump keeps them. */
  owner: boolean;
  /**
   * Objects the dump did not write (listed as unsupported), by catalog and OID as the inventory
   * reports them: they, and what lives on them (a table's columns, constraints...), are left out.
   */
  exclude?: ReadonlyArray<{ catalog?: string | undefined; oid?: number | undefined }>;
}

const queryNames = [
  'namespaces', 'extensions', 'classes', 'attributes', 'constraints', 'triggers', 'rules', 'policies', 'functions', 'types',
  'others', 'large-objects', 'settings', 'privileges', 'descriptions',
] as const;

const queries = new Map<string, string>(
  queryNames.map((name) => [name, readFileSync(new URL(`./fingerprint/${name}.sql`, import.meta.url), 'utf8')]),
);

/** String values longer than this are kept as their digest: the manifest stays small whatever the function bodies. */
const longValueChars = 512;

/**
 * Describes every user object of the connected database. Runs only catalog reads, so it can run
 * inside the dump's READ ONLY, REPEATABLE READ transaction (the same snapshot as the dump).
 */
export async function captureFingerprint(client: pg.ClientBase, options: FingerprintOptions): Promise<CatalogFingerprint> {
  // Every regclass/regtype/format_type result is schema-qualified, whatever the caller's search_path.
  await client.query(`SELECT pg_catalog.set_config('search_path', '', false)`);
  // Compiling these catalog queries (JIT, on by default) costs seconds and saves nothing.
  await client.query('SET jit = off');
  const { rows: version } = await client.query<{ num: string }>(`SELECT pg_catalog.current_setting('server_version_num') AS num`);
  const excluded = new Set((options.exclude ?? []).filter((o) => o.catalog !== undefined && o.oid !== undefined).map((o) => `${o.catalog}:${o.oid}`));
  const objects = new Map<string, ObjectProperties>();
  for (const [name, sql] of queries) {
    let rows;
    try {
      ({ rows } = await client.query<{ type: string; identity: string; key: string | null; parents: Array<string | null>; props: string }>(
        `SELECT type, identity, key, parents, props::text AS props FROM (${sql}) AS described`,
        sql.includes('$1') ? [options.owner] : [],
      ));
    } catch (error) {
      throw new Error(`cannot read the catalog fingerprint (${name}): ${(error as Error).message}`, { cause: error });
    }
    for (const row of rows) {
      if ((row.key !== null && excluded.has(row.key)) || row.parents.some((parent) => parent !== null && excluded.has(parent))) continue;
      // A comment on an object not described otherwise (a cast, a text search object...) is an object of its own.
      const identity = `${row.type} ${row.identity}`;
      const properties = objects.get(identity) ?? {};
      flatten(parseExact(row.props), '', properties);
      objects.set(identity, properties);
    }
  }
  return { serverVersionNum: Number(version[0]!.num), owner: options.owner, objects };
}

/** JSON.parse, except that integers beyond 2^53 (a sequence's bounds) are kept as their exact digits. */
function parseExact(text: string): Record<string, unknown> {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source) ? context.source : value,
  ) as Record<string, unknown>;
}

function flatten(value: Record<string, unknown>, prefix: string, into: ObjectProperties): void {
  for (const [key, inner] of Object.entries(value)) {
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) flatten(inner as Record<string, unknown>, `${prefix}${key}.`, into);
    else if (inner !== null) into[`${prefix}${key}`] = typeof inner === 'string' && inner.length > longValueChars ? digestOf(inner) : inner;
  }
}

const digestPrefix = 'sha256:';

function digestOf(text: string): string {
  return `${digestPrefix}${createHash('sha256').update(text).digest('hex')}`;
}

/** JSON with object keys sorted: the same properties always give the same text and digest. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface PropertyDifference {
  property: string;
  /** As the fingerprint taken at dump time has it; undefined when absent there. */
  expected: unknown;
  /** As the restored database has it; undefined when absent there. */
  actual: unknown;
}

export interface ObjectDifference {
  object: string;
  change: 'missing' | 'added' | 'changed';
  properties: PropertyDifference[];
}

/**
 * Every object present in only one of the two, and every property that differs. When the two
 * servers run different major versions, a property only one version has is not a difference.
 */
export function compareFingerprints(expected: CatalogFingerprint, actual: CatalogFingerprint): ObjectDifference[] {
  const sameMajor = Math.trunc(expected.serverVersionNum / 10000) === Math.trunc(actual.serverVersionNum / 10000);
  const differences: ObjectDifference[] = [];
  for (const [object, properties] of [...expected.objects].sort(byKey)) {
    const restored = actual.objects.get(object);
    if (restored === undefined) {
      differences.push({ object, change: 'missing', properties: [] });
      continue;
    }
    const changed: PropertyDifference[] = [];
    for (const property of [...new Set([...Object.keys(properties), ...Object.keys(restored)])].sort()) {
      const a = properties[property];
      const b = restored[property];
      if (!sameMajor && (a === undefined || b === undefined)) continue;
      if (canonicalJson(a ?? null) !== canonicalJson(b ?? null)) changed.push({ property, expected: a, actual: b });
    }
    if (changed.length > 0) differences.push({ object, change: 'changed', properties: changed });
  }
  for (const object of [...actual.objects.keys()].sort()) {
    if (!expected.objects.has(object)) differences.push({ object, change: 'added', properties: [] });
  }
  return differences;
}

function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One line per differing object, naming each property with both values (shortened). */
export function describeDifference(difference: ObjectDifference): string {
  if (difference.change === 'missing') return `${difference.object}: missing from the restored database`;
  if (difference.change === 'added') return `${difference.object}: in the restored database but not in the dump's fingerprint`;
  const details = difference.properties.map((p) => {
    const hide = hiddenValueProperties.has(p.property.split('.').at(-1)!);
    return `${p.property} (dump: ${shown(p.expected, hide)}, restored: ${shown(p.actual, hide)})`;
  });
  return `${difference.object}: ${details.join('; ')}`;
}

/**
 * Settings (ALTER DATABASE/FUNCTION ... SET name = value) may hold anything, a token included:
 * a problem line, which goes to the log and the notifiers, names them without their values.
 */
const hiddenValueProperties = new Set(['setconfig', 'proconfig']);

function shown(value: unknown, hideValues = false): string {
  if (value === undefined) return 'none';
  if (hideValues && Array.isArray(value)) value = value.map((item) => (typeof item === 'string' ? item.replace(/=.*$/s, '=…') : item));
  const text = canonicalJson(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * As stored in manifest.json: each object's sha256 (of its canonical JSON) in the clear, so two
 * manifests can be compared by eye or by tool; and all the properties, gzip-compressed and
 * base64-encoded (a few tens of KB for Immich's schema), which is what lets verify name the property.
 */
export const storedFingerprintSchema = z.object({
  formatVersion: z.literal(1),
  serverVersionNum: z.number().int().positive(),
  owner: z.boolean(),
  objects: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  /** base64 of gzip of the canonical JSON of { identity: { property: value } }. */
  properties: z.string(),
});

export type StoredFingerprint = z.infer<typeof storedFingerprintSchema>;

/** `properties` unpacked: each object's flattened catalog properties, by object name. */
const storedPropertiesSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

export async function storeFingerprint(fingerprint: CatalogFingerprint): Promise<StoredFingerprint> {
  const sorted = [...fingerprint.objects].sort(byKey);
  const digests: Array<[string, string]> = [];
  // The properties' JSON is compressed as it is written, object by object: whole, it is 33 MB of
  // text for 10,000 tables (90,000 objects), which with its copy for gzip raised the dump's peak by 160 MB.
  async function* propertiesJson(): AsyncGenerator<string> {
    let batch = '{';
    for (const [index, [object, properties]] of sorted.entries()) {
      const json = canonicalJson(properties);
      digests.push([object, createHash('sha256').update(json).digest('hex')]);
      batch += `${index === 0 ? '' : ','}${JSON.stringify(object)}:${json}`;
      // Batches, not one write per object: every write to a gzip stream is a round trip to the thread pool.
      if (batch.length >= 64 * 1024) {
        yield batch;
        batch = '';
      }
    }
    yield `${batch}}`;
  }
  const compressed = await buffer(Readable.from(propertiesJson()).compose(createGzip({ level: 9 })));
  return {
    formatVersion: 1,
    serverVersionNum: fingerprint.serverVersionNum,
    owner: fingerprint.owner,
    objects: Object.fromEntries(digests),
    properties: compressed.toString('base64'),
  };
}

/**
 * Reads a stored fingerprint back, refusing one whose properties do not match its digests (a
 * damaged or edited manifest must not make a restore look whole).
 */
export function loadFingerprint(stored: StoredFingerprint): CatalogFingerprint {
  const unpacked = storedPropertiesSchema.safeParse(JSON.parse(gunzipSync(Buffer.from(stored.properties, 'base64')).toString('utf8')));
  if (!unpacked.success) throw new Error("the fingerprint's properties are not one set of properties per object");
  const properties = unpacked.data;
  const objects = new Map(Object.entries(properties));
  const names = Object.keys(stored.objects);
  if (names.length !== objects.size) throw new Error(`the fingerprint lists ${names.length} objects but describes ${objects.size}`);
  for (const name of names) {
    const described = objects.get(name);
    if (described === undefined || createHash('sha256').update(canonicalJson(described)).digest('hex') !== stored.objects[name]) {
      throw new Error(`the fingerprint's properties of ${name} do not match its digest`);
    }
  }
  return { serverVersionNum: stored.serverVersionNum, owner: stored.owner, objects };
}
