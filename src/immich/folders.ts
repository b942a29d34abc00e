/**
 * The folders of Immich's upload location (`StorageFolder` in server/src/enum.ts). At every start
 * Immich reads and rewrites a hidden `.immich` marker in each of them and refuses to start when
 * one is missing (immich-facts §2): a backup or a restore without them gives an Immich that does
 * not boot.
 */
export const immichFolders = ['library', 'upload', 'thumbs', 'encoded-video', 'profile', 'backups'] as const;

export const markerFileName = '.immich';

/** An fs error code that means "not allowed", not "not there". */
export function isPermissionError(code: string | undefined): boolean {
  return code === 'EACCES' || code === 'EPERM';
}
