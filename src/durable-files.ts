import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';

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
