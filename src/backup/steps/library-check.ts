/** Step "library-check": a look at the photo library before anything is snapshotted of it. */
import { access, readdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { immichFolders, isPermissionError, markerFileName } from '../../immich/folders.ts';
import { processIdentity } from '../preflight.ts';
import { formatDuration } from '../../format.ts';
import { stepResult, type StepResult } from './step.ts';

/** The folders of UPLOAD_LOCATION that hold originals (Immich docs: must be backed up). */
const essentialFolders = ['library', 'upload', 'profile'];

export interface LibraryCheck {
  ok: boolean;
  /** What was found, e.g. ["library", "upload", "profile"]. */
  found: string[];
  warnings: string[];
}

/**
 * A cheap look at the photo library as the sidecar sees it (LIBRARY_PATH, mounted read-only):
 * a missing or empty mount would otherwise give a perfectly "successful" empty Kopia snapshot.
 * It never fails the run; it warns.
 */
export async function checkLibrary(libraryPath: string): Promise<LibraryCheck> {
  const info = await stat(libraryPath).catch(() => undefined);
  if (info === undefined) {
    return {
      ok: false,
      found: [],
      warnings: [`library path ${libraryPath} does not exist in the sidecar: mount Immich's UPLOAD_LOCATION there (read-only)`],
    };
  }
  if (!info.isDirectory()) return { ok: false, found: [], warnings: [`library path ${libraryPath} is not a directory`] };
  let entries: string[];
  try {
    await access(libraryPath, constants.R_OK | constants.X_OK);
    entries = await readdir(libraryPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      found: [],
      warnings: [
        isPermissionError(code)
          ? `permission denied on ${libraryPath}: the sidecar runs as ${processIdentity()} and cannot read it`
          : `library path ${libraryPath} cannot be read (${code ?? String(error)})`,
      ],
    };
  }
  const found = essentialFolders.filter((folder) => entries.includes(folder));
  if (found.length === 0) {
    return {
      ok: false,
      found,
      warnings: [
        entries.length === 0
          ? `library path ${libraryPath} is empty: is Immich's UPLOAD_LOCATION mounted there?`
          : `library path ${libraryPath} has none of ${essentialFolders.join('/, ')}/: is it Immich's UPLOAD_LOCATION?`,
      ],
    };
  }
  const warnings: string[] = [];
  // Immich checks a `.immich` marker in each of its six folders at start and refuses to start
  // without one: a backup missing any of them would restore into an Immich that does not boot.
  for (const folder of immichFolders) {
    const folderPath = join(libraryPath, folder);
    if (!entries.includes(folder)) {
      warnings.push(`${folderPath} is missing: Immich checks ${folder}/${markerFileName} at start, so a restore of this library would not boot`);
      continue;
    }
    const marker = await stat(join(folderPath, markerFileName)).then(
      () => 'present' as const,
      (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? ('missing' as const) : error),
    );
    if (marker === 'missing') warnings.push(`${folderPath} has no ${markerFileName} marker: is this the folder Immich uses?`);
    else if (marker !== 'present') {
      // Not "no marker": the folder is there, the sidecar is just not allowed to look into it.
      warnings.push(
        isPermissionError(marker.code)
          ? `permission denied on ${folderPath}: the sidecar runs as ${processIdentity()} and cannot read it (its files would be missing from the snapshot too)`
          : `${folderPath} cannot be read (${marker.code ?? marker.message})`,
      );
    }
  }
  return { ok: warnings.length === 0, found, warnings };
}

/** Step "library-check": what was found; anything odd is a warning, never a failure. */
/** The library check is a few stat() and readdir() calls: a minute without an answer means a hung mount. */
export const defaultLibraryCheckTimeoutMs = 60_000;

/**
 * The check, given up after `timeoutMs` with a warning. A library on a network share that hangs
 * (NFS, SMB) never answers a stat(): waiting for it would hold back the database backup, which
 * does not need the library at all, and every later run (runs never overlap).
 */
export async function libraryCheckWithin(check: Promise<LibraryCheck>, timeoutMs: number, signal: AbortSignal): Promise<LibraryCheck> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // A stop (SIGTERM) does not wait for a hung mount either: docker stop kills after 10 s.
  const stopped = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const gaveUp = new Promise<LibraryCheck>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          found: [],
          warnings: [
            `the library check got no answer within ${formatDuration(timeoutMs)}: is the library's mount (NFS, SMB) hung? The database backup went on without it; the Kopia snapshot of the library will likely fail`,
          ],
        }),
      timeoutMs,
    );
  });
  try {
    signal.throwIfAborted();
    return await Promise.race([check, gaveUp, stopped]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  }
}

export function summarizeLibraryCheck(check: LibraryCheck): StepResult {
  return stepResult({
    summary: check.found.length > 0 ? `found ${check.found.join(', ')}` : 'no library folders found',
    details: { found: check.found },
    warnings: check.warnings,
  });
}
