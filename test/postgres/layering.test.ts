import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

/**
 * Issue 11, items 2 and 5: src/postgres/ is the database layer, below the backup orchestration
 * and the configuration (it gets its options passed in); the dump and its parallel workers do not
 * import each other; and the catalog fingerprint shares no code with the DDL generator, so that a
 * property the generator forgets cannot be forgotten by the check too.
 */
const postgresDirectory = new URL('../../src/postgres/', import.meta.url);

function importsOf(file: string): string[] {
  const text = readFileSync(new URL(file, postgresDirectory), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'/gm)].map((match) => match[1]!);
}

const modules = readdirSync(postgresDirectory).filter((name) => name.endsWith('.ts'));

test('src/postgres imports nothing from src/backup, nor the root config', () => {
  assert.ok(modules.length > 5);
  const offending = modules.flatMap((file) => importsOf(file).filter((from) => from.startsWith('../backup/') || from === '../config.ts').map((from) => `${file} -> ${from}`));
  assert.deepEqual(offending, []);
});

test('dump.ts uses parallel-data.ts, which does not import dump.ts back (no import cycle)', () => {
  assert.ok(importsOf('dump.ts').includes('./parallel-data.ts'), 'the import scanner sees multi-line imports');
  assert.ok(!importsOf('parallel-data.ts').includes('./dump.ts'), 'parallel-data.ts imports dump.ts');
});

test('the catalog fingerprint reads the catalogs with queries of its own, not the DDL generator\'s', () => {
  const imports = importsOf('fingerprint.ts');
  for (const generator of ['./catalog.ts', './ddl.ts', './schema.ts', './inventory.ts', './sort.ts']) {
    assert.ok(!imports.includes(generator), `fingerprint.ts imports ${generator}`);
  }
  assert.deepEqual(imports.filter((from) => from.startsWith('./ddl/') || from.startsWith('./catalog/')), [], 'fingerprint.ts imports a DDL writer');
  const queries = readdirSync(new URL('fingerprint/', postgresDirectory)).filter((name) => name.endsWith('.sql'));
  assert.ok(queries.length >= 10, queries.join(', '));
});
