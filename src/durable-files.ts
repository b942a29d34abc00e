import { createHash, randomUUID } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Transform } from 'node:stream';
import { UserError } from './errors.ts';

/** Flushes a written file to disk; an error is an error (the file is not known to be kept). */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (a rename into it) to disk, where the filesystem allows it. */
export async function fsyncDirectory(path: string): Promise<void> {
  try {
    await fsyncFile(path);
  } catch {
    // Some filesystems refuse to fsync a directory; the rename is still atomic.
  }
}

export interface DurableWriteOptions {
  /** The file's permissions; 0600 unless told (state, manifests and config copies hold secrets or facts about them). */
  mode?: number;
}

/**
 * Creates `path`, which must not exist, with `content` flushed to disk. The mode is set on the open
 * file as well, so a umask cannot widen or narrow it. A file left half-written is removed.
 */
export async function writeNewFileSynced(path: string, content: string | Uint8Array, options: DurableWriteOptions = {}): Promise<void> {
  await createFileSynced(path, content, options).catch((error: unknown) => {
    throw withFullDiskNamed(error, path);
  });
}

/**
 * A full disk (or quota) said as such, naming the folder and the file: Node's own message
 * ("ENOSPC: no space left on device, write") names neither. Any other error as it was.
 */
export function withFullDiskNamed(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return error;
  const what = code === 'ENOSPC' ? 'no space left on the device' : 'the disk quota is used up on the device';
  return new UserError(`${what} holding ${dirname(path)}: ${basename(path)} was not written`, { cause: error });
}

async function createFileSynced(path: string, content: string | Uint8Array, options: DurableWriteOptions): Promise<void> {
  const mode = options.mode ?? 0o600;
  const handle = await open(path, 'wx', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/**
 * Replaces `path` with `content` so that a crash leaves either the old file or the new one, never
 * a mix, and the new one is on disk when this returns: written to a temporary file in the same
 * folder (a rename across filesystems is not atomic), fsynced, renamed into place, then the folder
 * fsynced (the rename itself is an entry of the folder). The temporary file is removed on failure.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, options: DurableWriteOptions = {}): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomUUID()}.tmp`;
  // A full disk names the file being replaced, not its temporary name.
  await createFileSynced(temporary, content, options).catch((error: unknown) => {
    throw withFullDiskNamed(error, path);
  });
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dirname(path));
}

/** A pass-through stream that hashes (sha256) and counts the bytes going through it. */
export class HashingCounter extends Transform {
  #hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** The sha256 of everything that went through, hex; once, after the stream ended. */
  sha256(): string {
    return this.#hash.digest('hex');
  }
}
