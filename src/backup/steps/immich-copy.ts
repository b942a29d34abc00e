/**
 * Step "immich-copy": a copy of the dump placed in Immich's backups folder (IMMICH_BACKUPS_PATH),
 * named so that Immich's web restore lists it and reads its date and versions. The local backup is
 * good whatever happens here: a copy that could not be placed is a warning.
 */
import { join } from 'node:path';
import { errorMessage } from '../../errors.ts';
import { immichCopyName, placeCopy } from '../../immich/backups-folder.ts';
import { dumpFileName } from '../manifest.ts';
import type { DumpFigures } from '../../report.ts';
import { stepResult, type StepContext, type StepResult } from './step.ts';

/** What the copy into Immich's backups folder is made from. */
export interface ImmichCopySource {
  runId: string;
  dumpPath: string;
  sha256: string;
  size: number;
  immichVersion: string;
  postgresVersion: string;
}

/** The real step (absent without IMMICH_BACKUPS_PATH); returns the copy's path. */
export function immichCopyStep(directory: string) {
  return (source: ImmichCopySource, context: StepContext): Promise<string> =>
    placeCopy({
      source: source.dumpPath,
      sha256: source.sha256,
      size: source.size,
      directory,
      name: immichCopyName(source.runId, source.immichVersion, source.postgresVersion),
      signal: context.signal,
    });
}

/** The finished run folder's dump as the copy's source; refused when Immich's version is unknown. */
export function immichCopySource(runId: string, folder: string, dump: DumpFigures, immichVersion: string | null): ImmichCopySource {
  if (immichVersion === null) {
    throw new Error("not placed in Immich's backups folder: Immich's version is unknown, and its web restore reads the version from the name");
  }
  // Immich's web restore (2.5.0+) takes a file whose name says 2.4 or older for a pg_dumpall cluster
  // dump: it would \c postgres first and restore ours there, not into Immich's database. Such a copy,
  // listed for days after an upgrade, could only restore wrong.
  const [major = 0, minor = 0] = immichVersion.split('.').map(Number);
  if (major < 2 || (major === 2 && minor <= 4)) {
    throw new Error(
      `Immich v${immichVersion} has no web restore (2.5.0 and later), and theirs would take a copy named -v${immichVersion}- for a pg_dumpall cluster dump and restore it into the postgres database`,
    );
  }
  return { runId, dumpPath: join(folder, dumpFileName), sha256: dump.sha256, size: dump.size, immichVersion, postgresVersion: dump.serverVersion };
}

export function summarizeImmichCopy(path: string): StepResult {
  return stepResult({ summary: `placed ${path} for Immich's web restore`, details: { path } });
}

/** The run's warning when the copy could not be placed. */
export function immichCopyFailedWarning(error: unknown): string {
  return `the dump was not copied to Immich's backups folder: ${errorMessage(error)}`;
}
