import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { dumpFilesSchema, manifestFileName } from './dump-manifest.ts';
import { UserError, errorMessage } from '../errors.ts';

/**
 * What restore-db proves about its input before it touches the database: the whole file is read
 * once (gunzipped to nowhere when it is gzip), so a truncated or damaged file, an archive format
 * that is not a SQL script, or a file that is not a dump at all is refused while the target is
 * still exactly as it was.
 */
export interface CheckedDumpInput {
  compressed: boolean;
  /** Bytes of the file as stored. */
  size: number;
  /** Bytes of SQL text (after gunzip). */
  scriptBytes: number;
  sha256: string;
  /** The file matched the size and sha256 recorded in the manifest.json beside it. */
  checkedAgainstManifest: boolean;
}

const gzipMagic = [0x1f, 0x8b] as const;
/** Reads and gunzips in 256 KiB chunks: with the default 16 KiB, the per-chunk work costs more CPU than the inflating. */
export const readChunkBytes = 256 * 1024;
const headBytes = 64 * 1024;
const tailBytes = 4 * 1024;
/** Comment lines pg_dump (and our dump) write first and last in a plain script. */
const dumpHeader = '-- PostgreSQL database dump';
const dumpTrailer = '-- PostgreSQL database dump complete';
const clusterDumpHeader = '-- PostgreSQL database cluster dump';
/** Words a SQL command can start with (PostgreSQL's SQL command list): a script's first word is one of them. */
const sqlCommandWords = new Set(
  (
    'ABORT ALTER ANALYZE ANALYSE BEGIN CALL CHECKPOINT CLOSE CLUSTER COMMENT COMMIT COPY CREATE DEALLOCATE DECLARE DELETE ' +
    'DISCARD DO DROP END EXECUTE EXPLAIN FETCH GRANT IMPORT INSERT LISTEN LOAD LOCK MERGE MOVE NOTIFY PREPARE REASSIGN ' +
    'REFRESH REINDEX RELEASE RESET REVOKE ROLLBACK SAVEPOINT SECURITY SELECT SET SHOW START TABLE TRUNCATE UNLISTEN ' +
    'UPDATE VACUUM VALUES WITH'
  ).split(' '),
);

function refuse(input: string, what: string): UserError {
  return new UserError(`${input} ${what}; nothing was restored`);
}

/** A pg_dump archive (custom or tar) is recognised by its first bytes, compressed or not. */
function archiveFormat(head: Buffer): 'custom' | 'tar' | undefined {
  if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'custom';
  // A POSIX tar header has "ustar" at offset 257; pg_dump's tar format starts with toc.dat.
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}

function describeArchive(format: 'custom' | 'tar'): string {
  return format === 'custom'
    ? 'is a pg_dump custom-format archive (-Fc), not a plain SQL script: restore it with pg_restore'
    : 'is a tar archive (pg_dump -Ft?), not a plain SQL script: restore a pg_dump tar archive with pg_restore';
}

/** Refuses what is not a plain SQL script of one database, from the script's first and last bytes. */
function checkScriptText(input: string, head: Buffer, tail: Buffer, wholeScript: boolean): void {
  const format = archiveFormat(head);
  if (format !== undefined) throw refuse(input, describeArchive(format));
  if (head.includes(0)) throw refuse(input, 'is not a SQL script (it holds binary data)');
  let text: string;
  try {
    // stream: a multi-byte character cut at the end of the head is not an error.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    throw refuse(input, 'is not a SQL script (it is not UTF-8 text)');
  }
  if (text.includes(clusterDumpHeader)) {
    throw refuse(input, 'is a pg_dumpall cluster dump (all databases and roles), not a dump of one database: restore it with psql');
  }
  const firstWord = firstCommandWord(text);
  if (firstWord === undefined) {
    // Only comments in the part that was looked at: with nothing after it, there is nothing to restore.
    if (wholeScript) throw refuse(input, 'holds no SQL statements: it is not a database dump');
  } else if (!firstWord.startsWith('\\') && !sqlCommandWords.has(firstWord.toUpperCase())) {
    // Control characters are never echoed to the terminal.
    const shown = firstWord.slice(0, 40).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
    throw refuse(input, `does not start like a SQL script (first word "${shown}")`);
  }
  // pg_dump and our dump end with this comment: a plain .sql cut short has no other sign of it.
  if (text.includes(dumpHeader) && !tail.toString('utf8').includes(dumpTrailer)) {
    throw refuse(input, `is truncated: the dump does not end with "${dumpTrailer}"`);
  }
}

/** The first word outside comments and blank lines, or undefined when there is none in the head. */
function firstCommandWord(text: string): string | undefined {
  let rest = text;
  for (;;) {
    rest = rest.replace(/^\s+/, '');
    if (rest.startsWith('--')) {
      const end = rest.indexOf('\n');
      if (end === -1) return undefined;
      rest = rest.slice(end + 1);
      continue;
    }
    if (rest.startsWith('/*')) {
      const end = rest.indexOf('*/');
      if (end === -1) return undefined;
      rest = rest.slice(end + 2);
      continue;
    }
    const word = /^(\\?[^\s;(]+)/.exec(rest)?.[1];
    return word;
  }
}

/** A sink that keeps the first `headBytes` and the last `tailBytes` of what flows through it. */
class HeadAndTail extends Writable {
  head = Buffer.alloc(0);
  tail = Buffer.alloc(0);
  bytes = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (this.head.length < headBytes) this.head = Buffer.concat([this.head, chunk.subarray(0, headBytes - this.head.length)]);
    // Only the last bytes are kept: copying every chunk into the tail would copy the whole script.
    this.tail = chunk.length >= tailBytes ? Buffer.from(chunk.subarray(chunk.length - tailBytes)) : Buffer.concat([this.tail, chunk]).subarray(-tailBytes);
    callback();
  }
}

async function sha256Of(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash, signal === undefined ? {} : { signal });
  return hash.digest('hex');
}

/**
 * The manifest.json beside `input`, if it lists the file: the size and sha256 it expects. A
 * manifest that cannot be read makes the dump unverifiable, which is refused.
 */
async function manifestEntry(input: string): Promise<{ size: number; sha256: string } | undefined> {
  const manifestPath = join(dirname(input), manifestFileName);
  if (!existsSync(manifestPath)) return undefined;
  try {
    const manifest = dumpFilesSchema.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
    return manifest.files.find((file) => file.path === basename(input));
  } catch (error) {
    throw new UserError(`cannot read ${manifestPath}: ${errorMessage(error)}; refusing to restore an unverifiable dump`);
  }
}

function checkManifest(input: string, expected: { size: number; sha256: string } | undefined, size: number, sha256: string): boolean {
  if (expected === undefined) return false;
  if (size !== expected.size || sha256 !== expected.sha256) {
    throw new UserError(
      `${input} does not match its manifest (size ${size} vs ${expected.size}, sha256 ${sha256.slice(0, 12)}… vs ${expected.sha256.slice(0, 12)}…): the file is damaged or truncated; nothing was restored`,
    );
  }
  return true;
}

/**
 * Reads `input` end to end and throws a one-line UserError unless it is a complete plain SQL
 * script restore-db can run (see CheckedDumpInput). Format is decided by content, not by name.
 */
export async function checkDumpInput(input: string, signal?: AbortSignal): Promise<CheckedDumpInput> {
  const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read ${input}: ${error.code === 'ENOENT' ? 'no such file' : (error.code ?? errorMessage(error))}; nothing was restored`);
  });
  if (info.isDirectory()) {
    if (existsSync(join(input, 'toc.dat'))) {
      throw refuse(input, 'is a pg_dump directory-format archive (-Fd), not a plain SQL script: restore it with pg_restore');
    }
    throw refuse(input, 'is a directory, not a dump file');
  }
  if (!info.isFile()) throw refuse(input, 'is not a regular file');
  if (info.size === 0) throw refuse(input, 'is empty: it is not a database dump');

  const expected = await manifestEntry(input);
  // Size first: a truncated file is refused without reading it.
  if (expected !== undefined && info.size !== expected.size) {
    throw new UserError(
      `${input} does not match its manifest (size ${info.size} vs ${expected.size} bytes): the file is damaged or truncated; nothing was restored`,
    );
  }

  const first = Buffer.alloc(512);
  const handle = await open(input, 'r');
  let firstLength: number;
  try {
    firstLength = (await handle.read(first, 0, first.length, 0)).bytesRead;
  } finally {
    await handle.close();
  }
  const fileHead = first.subarray(0, firstLength);
  const compressed = fileHead[0] === gzipMagic[0] && fileHead[1] === gzipMagic[1];
  if (!compressed) {
    const format = archiveFormat(fileHead);
    if (format !== undefined) throw refuse(input, describeArchive(format));
    if (input.endsWith('.gz')) throw refuse(input, 'is not gzip-compressed (no gzip header), although its name ends in .gz: it is damaged or not a dump');
  }

  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const sink = new HeadAndTail();
  const options = signal === undefined ? {} : { signal };
  try {
    if (compressed) await pipeline(createReadStream(input, { highWaterMark: readChunkBytes }), hashing, createGunzip({ chunkSize: readChunkBytes }), sink, options);
    else await pipeline(createReadStream(input), hashing, sink, options);
  } catch (error) {
    if (signal?.aborted === true) throw error;
    // A damaged file that has a manifest is reported as not matching it (the clearer cause).
    if (expected !== undefined) checkManifest(input, expected, info.size, await sha256Of(input, signal));
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && code.startsWith('Z_')) {
      throw refuse(input, `is not a complete gzip file (${errorMessage(error)}): it is truncated or damaged`);
    }
    throw new UserError(`cannot read ${input}: ${errorMessage(error)}; nothing was restored`, { cause: error });
  }
  const sha256 = hash.digest('hex');
  const checkedAgainstManifest = checkManifest(input, expected, info.size, sha256);
  checkScriptText(input, sink.head, sink.tail, sink.bytes <= headBytes);
  return { compressed, size: info.size, scriptBytes: sink.bytes, sha256, checkedAgainstManifest };
}
