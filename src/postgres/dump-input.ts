import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, Writable, pipeline as pipelineStreams } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { dumpFilesSchema, manifestFileName } from './dump-manifest.ts';
import { UserError, errorMessage } from '../errors.ts';
import { HashingCounter } from '../durable-files.ts';

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

/**
 * What is wrong with an input file. `problem` says it without saying what became of the target:
 * refused up front, nothing was restored; found while it was being restored, the restore says how
 * far it got.
 */
export class DumpInputError extends UserError {
  readonly problem: string;

  constructor(problem: string, options: { cause?: unknown } = {}) {
    super(`${problem}; nothing was restored`, options);
    this.problem = problem;
  }
}

function refuse(input: string, what: string): DumpInputError {
  return new DumpInputError(`${input} ${what}`);
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
  checkScriptHead(input, head, wholeScript);
  checkScriptTrailer(input, head, tail);
}

/** Refuses what does not start like a plain SQL script of one database. */
function checkScriptHead(input: string, head: Buffer, wholeScript: boolean): void {
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
}

/** Refuses a dump (pg_dump's or ours, known by its first comment) that does not end as a dump ends. */
function checkScriptTrailer(input: string, head: Buffer, tail: Buffer): void {
  // pg_dump and our dump end with this comment: a plain .sql cut short has no other sign of it.
  if (head.includes(dumpHeader) && !tail.toString('utf8').includes(dumpTrailer)) {
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

/**
 * The script's last `tailBytes` once `chunk` has gone by. Only those are kept: copying every chunk
 * into the tail would copy the whole script.
 */
function keepTail(tail: Buffer, chunk: Buffer): Buffer {
  return chunk.length >= tailBytes ? Buffer.from(chunk.subarray(chunk.length - tailBytes)) : Buffer.concat([tail, chunk]).subarray(-tailBytes);
}

/** A sink that keeps the first `headBytes` and the last `tailBytes` of what flows through it. */
class HeadAndTail extends Writable {
  head = Buffer.alloc(0);
  tail: Buffer = Buffer.alloc(0);
  bytes = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (this.head.length < headBytes) this.head = Buffer.concat([this.head, chunk.subarray(0, headBytes - this.head.length)]);
    this.tail = keepTail(this.tail, chunk);
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
    throw new DumpInputError(
      `${input} does not match its manifest (size ${size} vs ${expected.size}, sha256 ${sha256.slice(0, 12)}… vs ${expected.sha256.slice(0, 12)}…): the file is damaged or truncated`,
    );
  }
  return true;
}

/** What the first look at an input tells: enough to read it, and what its manifest expects. */
interface OpenedDumpInput {
  compressed: boolean;
  size: number;
  expected: { size: number; sha256: string } | undefined;
}

/**
 * The checks that need no more than the file's first bytes (and its manifest's size): a missing,
 * empty or truncated file, a directory, an archive format, a .gz name without gzip in it.
 */
async function openDumpInput(input: string): Promise<OpenedDumpInput> {
  const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
    throw new DumpInputError(`cannot read ${input}: ${error.code === 'ENOENT' ? 'no such file' : (error.code ?? errorMessage(error))}`);
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
    throw new DumpInputError(`${input} does not match its manifest (size ${info.size} vs ${expected.size} bytes): the file is damaged or truncated`);
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
  return { compressed, size: info.size, expected };
}

/** Why reading `input` end to end failed, as the problem with the file (a damaged file with a manifest: that it does not match). */
async function readFailure(input: string, opened: OpenedDumpInput, error: unknown, signal?: AbortSignal): Promise<unknown> {
  if (signal?.aborted === true) return error;
  // A damaged file that has a manifest is reported as not matching it (the clearer cause).
  if (opened.expected !== undefined) {
    try {
      checkManifest(input, opened.expected, opened.size, await sha256Of(input, signal));
    } catch (mismatch) {
      return mismatch;
    }
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && code.startsWith('Z_')) {
    return refuse(input, `is not a complete gzip file (${errorMessage(error)}): it is truncated or damaged`);
  }
  return new DumpInputError(`cannot read ${input}: ${errorMessage(error)}`, { cause: error });
}

/**
 * Reads `input` end to end and throws a one-line DumpInputError unless it is a complete plain SQL
 * script restore-db can run (see CheckedDumpInput). Format is decided by content, not by name.
 */
export async function checkDumpInput(input: string, signal?: AbortSignal): Promise<CheckedDumpInput> {
  const opened = await openDumpInput(input);
  const hashing = new HashingCounter();
  const sink = new HeadAndTail();
  const options = signal === undefined ? {} : { signal };
  try {
    if (opened.compressed) await pipeline(createReadStream(input, { highWaterMark: readChunkBytes }), hashing, createGunzip({ chunkSize: readChunkBytes }), sink, options);
    else await pipeline(createReadStream(input), hashing, sink, options);
  } catch (error) {
    throw await readFailure(input, opened, error, signal);
  }
  const sha256 = hashing.sha256();
  const checkedAgainstManifest = checkManifest(input, opened.expected, opened.size, sha256);
  checkScriptText(input, sink.head, sink.tail, sink.bytes <= headBytes);
  return { compressed: opened.compressed, size: opened.size, scriptBytes: sink.bytes, sha256, checkedAgainstManifest };
}

/**
 * An input checked while it is restored, in the same read: what can be seen from its first bytes
 * is refused before anything is restored (see openDumpInput, and the script's first 64 KiB); the
 * gzip checksums, the manifest's sha256 and the script's last line are known only at the end. Only
 * for a target with nothing to lose (an empty database): the restore must fail loudly if `verdict`
 * (or the read) does, as the target is then partly restored.
 */
export class WatchedDumpInput {
  readonly compressed: boolean;
  readonly size: number;
  readonly #input: string;
  readonly #opened: OpenedDumpInput;
  readonly #head: Buffer;
  /** Goes over the file's bytes as read (before gunzip): counts and hashes them, when a manifest expects a sha256. */
  readonly #fileBytes: HashingCounter | undefined;
  /** Goes over the script's text (after gunzip): keeps its end for the trailer check. */
  readonly scriptText: Transform;
  #tail: Buffer = Buffer.alloc(0);

  private constructor(input: string, opened: OpenedDumpInput, head: Buffer) {
    this.#input = input;
    this.#opened = opened;
    this.#head = head;
    this.compressed = opened.compressed;
    this.size = opened.size;
    // Without a manifest there is no sha256 to compare: hashing would cost CPU for nothing (on the
    // 751 MB benchmark dump, a third of a second).
    this.#fileBytes = opened.expected === undefined ? undefined : new HashingCounter();
    this.scriptText = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.#tail = keepTail(this.#tail, chunk);
        callback(null, chunk);
      },
    });
  }

  /**
   * The major version of the server the dump was taken from, from the "-- Dumped from database
   * version" line pg_dump and our dump write in their header; undefined when the script has none.
   */
  get sourceMajor(): number | undefined {
    const version = /^-- Dumped from database version (\d+)/m.exec(this.#head.toString('utf8'));
    return version === null ? undefined : Number(version[1]);
  }

  /** Refuses what is wrong from the file's first bytes; the rest is watched while it is read. */
  static async open(input: string, signal?: AbortSignal): Promise<WatchedDumpInput> {
    const opened = await openDumpInput(input);
    const head = await scriptHead(input, opened.compressed, signal);
    checkScriptHead(input, head.bytes, head.whole);
    return new WatchedDumpInput(input, opened, head.bytes);
  }

  /** The stages the file's bytes go through before gunzip: the hash its manifest expects, if it has one. */
  get fileStages(): Transform[] {
    return this.#fileBytes === undefined ? [] : [this.#fileBytes];
  }

  /** Once the whole file went through: the manifest's sha256 and the script's last line. Throws a DumpInputError. */
  verdict(): { checkedAgainstManifest: boolean } {
    const fileBytes = this.#fileBytes;
    const checkedAgainstManifest = fileBytes !== undefined && checkManifest(this.#input, this.#opened.expected, fileBytes.bytes, fileBytes.sha256());
    checkScriptTrailer(this.#input, this.#head, this.#tail);
    return { checkedAgainstManifest };
  }

  /**
   * After a failure part-way: whether the file is to blame. It is read again to the end (only on
   * failure): a damaged file often shows first as a bad row or statement, not a gzip error.
   */
  async problem(signal?: AbortSignal): Promise<DumpInputError | undefined> {
    try {
      await checkDumpInput(this.#input, signal);
      return undefined;
    } catch (error) {
      return error instanceof DumpInputError ? error : undefined;
    }
  }
}

/** The script's first 64 KiB (fewer when it is shorter: `whole`); a read or gunzip error ends it early (the full read reports it). */
async function scriptHead(input: string, compressed: boolean, signal?: AbortSignal): Promise<{ bytes: Buffer; whole: boolean }> {
  const parts: Buffer[] = [];
  let length = 0;
  let whole = false;
  const file = createReadStream(input, { highWaterMark: headBytes, ...(signal === undefined ? {} : { signal }) });
  const text: AsyncIterable<Buffer> = compressed ? pipelineStreams(file, createGunzip(), () => undefined) : file;
  try {
    for await (const chunk of text) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= headBytes) break;
    }
    whole = length < headBytes;
  } catch {
    // Seen again, and reported, when the whole file is read.
  } finally {
    file.destroy();
  }
  signal?.throwIfAborted();
  return { bytes: Buffer.concat(parts).subarray(0, headBytes), whole };
}
