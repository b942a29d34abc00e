import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Issue 17: imports point down only, and no file reaches itself through its imports.
 *
 * The rule, for every file in src/:
 * - src/ is cut into the layers below, top to bottom. Each layer holds one or more units: a folder
 *   (`backup/`, with its subfolders) or a single file at the top of src/ (`cli.ts`). Any other file at
 *   the top of src/ is a leaf helper (config, log, errors, time, ...) and belongs to the bottom unit.
 * - A file may import files of its own unit, and files of any unit in a lower layer. Nothing else:
 *   not a layer above, and not another unit of its own layer (postgres/ and kopia/ know nothing of
 *   each other; neither do immich/ and report.ts).
 * - No import cycle between files, inside a unit or across units.
 * Every import counts: `import … from`, `import type`, `export … from`, and dynamic `import()`.
 * A new folder must be given a layer here; code that would import upward moves to where it belongs
 * (there is no exception list).
 */
const layers: { units: string[]; holds: string }[] = [
  { units: ['cli.ts'], holds: 'the command line: parses arguments, picks a command' },
  { units: ['commands/'], holds: 'one file per command: reads the configuration and calls the layers below' },
  { units: ['service/'], holds: '`serve`: the schedule, one run at a time, the HTTP server, a graceful stop' },
  { units: ['http/'], holds: '/healthz, /status and /metrics, from what backup/ recorded' },
  { units: ['backup/'], holds: 'a run and its steps, verify, run folders, manifest, state file, lock' },
  { units: ['notify/'], holds: 'telling people about a run: webhook, ntfy, Gotify, Discord, Slack, healthchecks' },
  { units: ['immich/', 'report.ts'], holds: "Immich's API, folders and database conventions; the shape of a run's report" },
  { units: ['postgres/', 'kopia/'], holds: "the database's dump, restore and catalog; the Kopia server's API" },
  { units: ['*.ts'], holds: 'leaf helpers at the top of src/: config, log, errors, time, format, version, durable-files' },
];

const sourceRoot = fileURLToPath(new URL('../../src/', import.meta.url));

/** Paths relative to src/ with forward slashes, e.g. `backup/run.ts`. */
const files = readdirSync(sourceRoot, { recursive: true, encoding: 'utf8' })
  .map((path) => path.split('\\').join('/'))
  .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
  .sort();

/** Every module a file names: TypeScript's own pre-parser, so comments and strings are never mistaken for imports. */
function importedSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
}

interface Import {
  from: string;
  to: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(sourceRoot, file), 'utf8');
  return importedSpecifiers(text)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({ from: file, to: posix.normalize(posix.join(posix.dirname(file), specifier)) }));
}

const imports = files.flatMap(importsOf);

function unitOf(file: string): string {
  const slash = file.indexOf('/');
  if (slash >= 0) return file.slice(0, slash + 1);
  return layers.some((layer) => layer.units.includes(file)) ? file : '*.ts';
}

function layerOf(unit: string): number {
  return layers.findIndex((layer) => layer.units.includes(unit));
}

function describeUnit(unit: string): string {
  return `${unit === '*.ts' ? 'a leaf helper at the top of src/' : unit} (layer ${layerOf(unit) + 1} of ${layers.length})`;
}

test('the import reader sees every kind of import, and only imports', () => {
  const text = [
    "import { a } from './a.ts';",
    "import type { B } from './b.ts';",
    'import {',
    '  c,',
    "} from './c.ts';",
    "export { d } from './d.ts';",
    "export * from './e.ts';",
    "const f = await import('./f.ts');",
    "// import { g } from './g.ts';",
    "const h = \"import { h } from './h.ts'\";",
  ].join('\n');
  assert.deepEqual(importedSpecifiers(text), ['./a.ts', './b.ts', './c.ts', './d.ts', './e.ts', './f.ts']);
  assert.ok(files.length > 50, `${files.length} files found in ${sourceRoot}`);
  assert.ok(imports.some((edge) => edge.from === 'cli.ts'), 'no import read from cli.ts');
});

test('every import names a file that exists in src/', () => {
  const missing = imports.filter((edge) => !existsSync(join(sourceRoot, edge.to))).map((edge) => `${edge.from} imports ${edge.to}, which does not exist`);
  assert.deepEqual(missing, []);
});

test('every folder and top-level file of src/ has a layer', () => {
  const folders = readdirSync(sourceRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${entry.name}/`);
  const unplaced = folders.filter((folder) => layerOf(folder) < 0 && files.some((file) => file.startsWith(folder)));
  assert.deepEqual(unplaced, [], 'give these folders a layer in test/architecture/imports.test.ts');
  for (const layer of layers) {
    for (const unit of layer.units) {
      if (unit === '*.ts') continue;
      assert.ok(files.some((file) => unitOf(file) === unit), `the layer list names ${unit}, which is not in src/ (remove it)`);
    }
  }
});

test('imports point down the layers only (own unit, or a lower layer)', () => {
  const broken = imports.flatMap(({ from, to }) => {
    const [fromUnit, toUnit] = [unitOf(from), unitOf(to)];
    if (fromUnit === toUnit || layerOf(toUnit) > layerOf(fromUnit)) return [];
    const why =
      layerOf(toUnit) === layerOf(fromUnit)
        ? 'units of one layer do not import each other'
        : 'a file imports only its own unit and the layers below it';
    return [`src/${from} imports src/${to}: ${describeUnit(fromUnit)} may not import ${describeUnit(toUnit)}; ${why} (the layers: test/architecture/imports.test.ts)`];
  });
  assert.deepEqual(broken, []);
});

/** Each import cycle once, as the shortest loop through the first file (in sorted order) of a strongly connected group. */
function importCycles(): string[][] {
  const next = new Map<string, string[]>(files.map((file) => [file, []]));
  for (const { from, to } of imports) next.get(from)?.push(to);
  // Tarjan's strongly connected components: the files of one component all reach each other.
  const index = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    lowest.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        lowest.set(file, Math.min(lowest.get(file)!, lowest.get(target)!));
      } else if (onStack.has(target)) {
        lowest.set(file, Math.min(lowest.get(file)!, index.get(target)!));
      }
    }
    if (lowest.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      components.push(component.sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return components
    .filter((component) => component.length > 1 || next.get(component[0]!)!.includes(component[0]!))
    .map((component) => {
      // Breadth-first from the first file back to itself, inside the component.
      const start = component[0]!;
      const cameFrom = new Map<string, string>();
      const queue = [start];
      while (queue.length > 0) {
        const file = queue.shift()!;
        for (const target of next.get(file)!) {
          if (!component.includes(target) || cameFrom.has(target)) continue;
          cameFrom.set(target, file);
          queue.push(target);
        }
        if (cameFrom.has(start)) break;
      }
      const loop = [start];
      for (let file = cameFrom.get(start)!; file !== start; file = cameFrom.get(file)!) loop.unshift(file);
      return [start, ...loop];
    });
}

test('no import cycle between files', () => {
  const cycles = importCycles().map((loop) => `import cycle: ${loop.map((file) => `src/${file}`).join(' -> ')}; no file may reach itself through its imports`);
  assert.deepEqual(cycles, []);
});

test("README's Architecture section names every layer's folders and the leaf helpers", () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const start = readme.indexOf('\n## Architecture\n');
  assert.ok(start >= 0, 'README has an "## Architecture" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const named = [...layers.flatMap((layer) => layer.units).filter((unit) => unit !== '*.ts'), ...files.filter((file) => unitOf(file) === '*.ts')];
  assert.deepEqual(
    named.filter((unit) => !section.includes(`\`${unit}\``)),
    [],
    'name these in README\'s "## Architecture" section',
  );
});
