import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { canonicalJson, loadFingerprint, storeFingerprint, type ObjectProperties } from '../../src/postgres/fingerprint.ts';

test('a stored fingerprint of many objects, compressed as it is written, holds the canonical JSON of them all, sorted', async () => {
  // Enough objects for the JSON to be written in several batches (one per 64 K characters).
  const objects = new Map<string, ObjectProperties>();
  for (let i = 2000; i > 0; i -= 1) {
    objects.set(`table column public.t${i}.c`, { 'attribute.attname': `c${i}`, 'attribute.attnotnull': i % 2 === 0, 'attribute.attoptions': ['a=1'], note: 'é'.repeat(100) });
  }
  const fingerprint = { serverVersionNum: 160000, owner: false, objects };
  const stored = await storeFingerprint(fingerprint);
  const sorted = [...objects].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  assert.equal(gunzipSync(Buffer.from(stored.properties, 'base64')).toString('utf8'), canonicalJson(Object.fromEntries(sorted)));
  assert.deepEqual(Object.keys(stored.objects), sorted.map(([name]) => name));
  assert.deepEqual(loadFingerprint(stored).objects, new Map(sorted));
  const empty = await storeFingerprint({ serverVersionNum: 160000, owner: false, objects: new Map() });
  assert.equal(gunzipSync(Buffer.from(empty.properties, 'base64')).toString('utf8'), '{}');
});
