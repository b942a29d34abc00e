/** Step "config-copy": Immich's docker-compose.yml and .env copied into the run folder. */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fsyncDirectory, writeFileAtomic } from '../../durable-files.ts';
import { UserError } from '../../errors.ts';
import { configFileProblem } from '../preflight.ts';
import { stepResult, type StepResult } from './step.ts';

export interface CopiedFile {
  source: string;
  /** Relative to the run folder, e.g. `config/.env`. */
  path: string;
  size: number;
  sha256: string;
}

export interface ConfigCopyResult {
  copied: CopiedFile[];
  /** Optional files that could not be read, with the reason (warnings: the backup is still complete). */
  missing: string[];
}

export const configFolderName = 'config';

/**
 * Copies Immich's docker-compose.yml and .env into `<runFolder>/config/`, mode 0600: `.env`
 * holds the database password. Files are small, so they are read whole and hashed on the way, and
 * each is written atomically and fsynced: a backup must not hold a config file cut short by a crash.
 * A file that cannot be read fails the step (a backup without it is not complete), unless it is
 * in `optional`: then it is reported as missing.
 */
export async function copyConfigFiles(sources: string[], runFolder: string, optional: readonly string[] = []): Promise<ConfigCopyResult> {
  const result: ConfigCopyResult = { copied: [], missing: [] };
  if (sources.length === 0) return result;
  const target = join(runFolder, configFolderName);
  await mkdir(target, { recursive: true, mode: 0o700 });
  await fsyncDirectory(runFolder); // the new `config` entry of the run folder
  const used = new Set<string>();
  for (const source of sources) {
    let content: Buffer;
    try {
      content = await readFile(source);
    } catch (error) {
      if (!optional.includes(source)) throw new UserError((await configFileProblem(source, error)) ?? `cannot read ${source}`, { cause: error });
      result.missing.push(`${source} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      continue;
    }
    let name = basename(source);
    for (let index = 2; used.has(name); index += 1) name = `${basename(source)}.${index}`;
    used.add(name);
    const path = join(target, name);
    await writeFileAtomic(path, content, { mode: 0o600 });
    result.copied.push({
      source,
      path: `${configFolderName}/${name}`,
      size: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
  }
  return result;
}

/** Step "config-copy": an optional file that was not there is a warning, the backup is still complete. */
export function summarizeConfigCopy(result: ConfigCopyResult): StepResult {
  return stepResult({
    summary: `${result.copied.length} file(s) copied`,
    details: { copied: result.copied.map((file) => file.path) },
    warnings: result.missing.map((missing) => `config file not copied: ${missing}`),
  });
}
