import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { ddlWriters, writtenKinds } from '../../src/postgres/ddl/writers.ts';
import { inventoryQueries } from '../../src/postgres/inventory.ts';

/**
 * Issue 17: what the inventory calls supported is what the DDL writers write. ddl/writers.ts lists
 * every writer with its kinds; these checks keep the list whole: every entry-writing function of
 * src/postgres/ddl/ is in it, readCatalog reaches writers only through it, and each listed kind is
 * one the inventory can report.
 */
const ddlDirectory = new URL('../../src/postgres/ddl/', import.meta.url);
const writerFiles = readdirSync(ddlDirectory).filter((name) => name.endsWith('.ts') && name !== 'writers.ts');

test('every function of src/postgres/ddl/ that writes entries is listed in ddlWriters', () => {
  const exported = writerFiles.flatMap((file) =>
    [...readFileSync(new URL(file, ddlDirectory), 'utf8').matchAll(/^export function (\w+(?:Entry|Entries))\(/gm)].map((match) => `${file}: ${match[1]}`),
  );
  assert.ok(exported.length >= 15, exported.join(', '));
  const listed = new Set(Object.values(ddlWriters).map((writer) => writer.write.name));
  assert.deepEqual(exported.filter((line) => !listed.has(line.split(': ')[1]!)), []);
});

test('readCatalog calls the writers through ddlWriters only', () => {
  const schema = readFileSync(new URL('../../src/postgres/schema.ts', import.meta.url), 'utf8');
  const fromDdlFolder = [...schema.matchAll(/^import\s+(type\s+)?\{[^}]*\}\s+from\s+'(\.\/ddl\/[^']+)'/gm)]
    .filter((match) => match[1] === undefined && match[2] !== './ddl/writers.ts')
    .map((match) => match[2]);
  assert.deepEqual(fromDdlFolder, [], 'schema.ts imports a writer around ddlWriters');
});

test('the supported kinds are the writers\' kinds, each one the inventory reports', () => {
  const reported = new Set(inventoryQueries.flatMap((query) => query.kinds));
  assert.deepEqual([...writtenKinds].filter((kind) => !reported.has(kind)), []);
  assert.ok(writtenKinds.has('table') && writtenKinds.has('default privileges'));
  assert.ok(writtenKinds.has('partition') && !writtenKinds.has('partition being detached'));
});
