// tsc only emits .ts files; the catalog queries are kept as .sql files next to the code that
// reads them at run time (src/postgres/catalog/<kind>.sql for the dump's DDL, one per object kind,
// and src/postgres/fingerprint/*.sql), so the build copies every .sql under src/ to the same place
// under dist/ (the image's build stage runs this too).
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const sourceRoot = 'src';
const outputRoot = 'dist';
const assetExtensions = ['.sql'];

function copyAssets(directory: string): void {
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) {
      copyAssets(path);
    } else if (assetExtensions.some((extension) => entry.endsWith(extension))) {
      cpSync(path, join(outputRoot, relative(sourceRoot, path)));
    }
  }
}

if (existsSync(sourceRoot)) copyAssets(sourceRoot);
