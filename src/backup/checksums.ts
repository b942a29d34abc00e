import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../durable-files.ts';

/**
 * sha256 of the files of run folders, remembered while a file is unchanged, so that `list`,
 * `status`, `/healthz` and retention can check every file of every backup against its manifest
 * without reading gigabytes each time. A file is unchanged while its inode, size, mtime and ctime
 * are (ctime cannot be set back by a user: any write or utime changes it). The cache lives in
 * memory (the service) and in BACKUP_DIR (so a CLI process does not start from nothing); it is
 * advisory: a cache that cannot be read or written only means hashing again.
 */
export const checksumCacheFileName = '.immich-backup-checksums.json';

const cacheEntriesSchema = z.record(
  z.string(),
  z.object({ size: z.number().int().nonnegative(), mtimeMs: z.number(), ctimeMs: z.number(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
);

type CacheEntries = z.infer<typeof cacheEntriesSchema>;

/** Per BACKUP_DIR: the entries, and the cache file's mtime when it was last read or written. */
const memory = new Map<string, { entries: CacheEntries; fileMtimeMs: number }>();

/** The cache file's entries; a missing, unreadable or invalid file is an empty cache (files are hashed again). */
async function readCacheFile(path: string): Promise<CacheEntries> {
  try {
    const parsed = cacheEntriesSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

function fileKey(info: { dev: number; ino: number }): string {
  return `${info.dev}:${info.ino}`;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** A checksum cache for the run folders of one BACKUP_DIR. */
export class ChecksumCache {
  readonly #backupDir: string;
  #entries: Promise<CacheEntries> | undefined;
  #used = new Set<string>();
  #changed = false;

  constructor(backupDir: string) {
    this.#backupDir = backupDir;
  }

  #load(): Promise<CacheEntries> {
    // One load per instance, however many files are checked at once.
    this.#entries ??= (async () => {
      const path = join(this.#backupDir, checksumCacheFileName);
      const fileMtimeMs = (await stat(path).catch(() => undefined))?.mtimeMs ?? 0;
      const known = memory.get(this.#backupDir);
      if (known !== undefined && known.fileMtimeMs === fileMtimeMs) return known.entries;
      // Another process (a `docker exec … backup`) wrote the file since: take what it learned too.
      const entries = { ...known?.entries, ...(await readCacheFile(path)) };
      memory.set(this.#backupDir, { entries, fileMtimeMs });
      return entries;
    })();
    return this.#entries;
  }

  /** The file's sha256 (from the cache while the file is unchanged), or undefined when it is missing. */
  async sha256(path: string): Promise<{ size: number; sha256: string } | undefined> {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) return undefined;
    const entries = await this.#load();
    const key = fileKey(info);
    this.#used.add(key);
    const cached = entries[key];
    if (cached !== undefined && cached.size === info.size && cached.mtimeMs === info.mtimeMs && cached.ctimeMs === info.ctimeMs) {
      return { size: info.size, sha256: cached.sha256 };
    }
    const sha256 = await sha256File(path);
    // Stat again: a file that changed while it was read is not remembered.
    const after = await stat(path).catch(() => undefined);
    if (after !== undefined && after.size === info.size && after.mtimeMs === info.mtimeMs && after.ctimeMs === info.ctimeMs) {
      entries[key] = { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, sha256 };
      this.#changed = true;
    }
    return { size: info.size, sha256 };
  }

  /**
   * Writes the cache file if it changed. After a pass over every run folder, `prune` drops the
   * entries that pass did not use (files of deleted folders).
   */
  async save(options: { prune: boolean }): Promise<void> {
    const entries = await this.#load();
    let kept = entries;
    if (options.prune) {
      kept = {};
      for (const key of this.#used) if (entries[key] !== undefined) kept[key] = entries[key];
      if (Object.keys(kept).length !== Object.keys(entries).length) this.#changed = true;
    }
    const previous = memory.get(this.#backupDir);
    memory.set(this.#backupDir, { entries: kept, fileMtimeMs: previous?.fileMtimeMs ?? 0 });
    this.#entries = Promise.resolve(kept);
    if (!this.#changed) return;
    this.#changed = false;
    const path = join(this.#backupDir, checksumCacheFileName);
    try {
      await writeFileAtomic(path, `${JSON.stringify(kept)}\n`);
      const fileMtimeMs = (await stat(path)).mtimeMs;
      memory.set(this.#backupDir, { entries: kept, fileMtimeMs });
    } catch {
      // Advisory: a cache not written only means hashing again.
    }
  }
}
