import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A photo-library-shaped tree: `library/<user>/<yyyy>/<mm>/IMG_n.jpg` small files, a few large
 * ones, unicode names and the `.immich` marker files Immich checks on boot.
 */
export function writeLibrary(root: string, options: { users?: string[]; filesPerUser?: number; largeFiles?: number; largeSize?: number } = {}): void {
  const users = options.users ?? ['admin', 'bob', 'zoë-📷'];
  const filesPerUser = options.filesPerUser ?? 700;
  for (const folder of ['library', 'upload', 'profile', 'thumbs', 'encoded-video', 'backups']) {
    mkdirSync(join(root, folder), { recursive: true });
    writeFileSync(join(root, folder, '.immich'), '1732420800000');
  }
  for (const user of users) {
    for (let n = 0; n < filesPerUser; n += 1) {
      const folder = join(root, 'library', user, String(2020 + (n % 5)), String((n % 12) + 1).padStart(2, '0'));
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, n % 50 === 0 ? `Émile été ${n}.jpg` : `IMG_${String(n).padStart(4, '0')}.jpg`), randomBytes(512 + (n % 7) * 300));
    }
  }
  for (let n = 0; n < (options.largeFiles ?? 3); n += 1) {
    writeFileSync(join(root, 'library', users[0]!, `VID_${n}.mp4`), randomBytes(options.largeSize ?? 3 * 1024 * 1024));
  }
}

/** Relative path → sha256 of every file under `root` (directories implied), for byte-for-byte comparison. */
export function hashTree(root: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (directory: string) => {
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      const stats = statSync(path);
      if (stats.isDirectory()) walk(path);
      else hashes.set(relative(root, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return hashes;
}
