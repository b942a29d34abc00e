import { access, readdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { processIdentity } from './preflight.ts';

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
  try {
    await access(libraryPath, constants.R_OK | constants.X_OK);
  } catch {
    return { ok: false, found: [], warnings: [`library path ${libraryPath} is not readable by the sidecar's user`] };
  }
  const entries = await readdir(libraryPath);
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
  // Immich writes a `.immich` marker into each folder it uses; its absence hints at a wrong mount.
  for (const folder of found) {
    const markerPath = join(libraryPath, folder, '.immich');
    const marker = await stat(markerPath).then(
      () => 'present' as const,
      (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? ('missing' as const) : error),
    );
    if (marker === 'missing') warnings.push(`${join(libraryPath, folder)} has no .immich marker: is this the folder Immich uses?`);
    else if (marker !== 'present') {
      // Not "no marker": the folder is there, the sidecar may just not be allowed to look into it.
      warnings.push(`${join(libraryPath, folder)} cannot be read by this container (${marker.code ?? marker.message}, it runs as ${processIdentity()})`);
    }
  }
  return { ok: warnings.length === 0, found, warnings };
}
