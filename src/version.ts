import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** This program's version, from package.json (one level above both src/ and dist/). */
export const toolVersion: string = (() => {
  try {
    const pkg = z.looseObject({ version: z.string() }).safeParse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')));
    return pkg.success ? pkg.data.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
