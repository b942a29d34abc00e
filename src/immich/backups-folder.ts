import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errorMessage } from '../errors.ts';
import { fsyncDirectory, fsyncFile, HashingCounter } from '../durable-files.ts';

/**
 * Copies of our dumps in Immich's own backups folder (`UPLOAD_LOCATION/backups`, IMMICH_BACKUPS_PATH),
 * so that Immich's web restore (Administration → Maintenance) offers them. What Immich does with
 * the names there (server/src/utils/database-backups.ts, immich-facts §7):
 * - lists every name matching `^[\d\w-.]+\.sql(?:\.gz)?$`;
 * - shows the date from the first `\d+T\d+` and the version from the greedy `-v(.*)-`, i.e. from
 *   the first `-v` to the LAST dash: nothing after the version may contain a dash, or the badge
 *   (and Immich's "≤ 2.4 means a pg_dumpall cluster dump" rule) would read a wrong version;
 * - prunes only `immich-db-backup-<digits>.sql.gz`, `immich-db-backup-<8>T<6>-v…-pg….sql.gz` and
 *   `immich-db-backup-….sql.gz.tmp`, and never `restore-point-*` / `uploaded-*`.
 * Ours are `immich-backup-<yyyyMMdd>T<HHmmss>[-n]-v<major.minor.patch>-pg<digits and dots>.sql.gz`:
 * listed, dated and versioned right, never pruned by Immich; written as a hidden `.….partial` that
 * Immich does not list, then renamed. Our retention removes only names matching copyPattern.
 */
export const copyPrefix = 'immich-backup-';
const copyPattern = /^immich-backup-(\d{8})T(\d{6})(-\d+)?-v\d+\.\d+\.\d+-pg\d+(?:\.\d+)*\.sql\.gz$/;
const partialPattern = /^\.immich-backup-.*\.sql\.gz\.partial$/;

/** Immich's version as the name carries it: `major.minor.patch`, digits only (so no dash can follow). */
const immichVersionPattern = /^\d+\.\d+\.\d+$/;

/**
 * The copy's name for run `runId` (`immich-YYYYMMDD_HHMMSS[-n]`, local time, like Immich's own
 * names). `postgresVersion` is server_version, e.g. "16.4 (Debian 16.4-1.pgdg120+1)": only its
 * leading number is kept, since a dash after the version would move the end of `-v(.*)-`.
 */
export function immichCopyName(runId: string, immichVersion: string, postgresVersion: string): string {
  const run = /^immich-(\d{8})_(\d{6})(-\d+)?$/.exec(runId);
  if (run === null) throw new Error(`not a run id: ${runId}`);
  if (!immichVersionPattern.test(immichVersion)) throw new Error(`not an Immich version (major.minor.patch): ${immichVersion}`);
  const postgres = /^\d+(?:\.\d+)*/.exec(postgresVersion.trim())?.[0];
  if (postgres === undefined) throw new Error(`not a PostgreSQL version: ${postgresVersion}`);
  return `${copyPrefix}${run[1]}T${run[2]}${run[3] ?? ''}-v${immichVersion}-pg${postgres}.sql.gz`;
}

/** The run a copy belongs to, or undefined for any name that is not one of our copies. */
export function copyRunId(name: string): string | undefined {
  const match = copyPattern.exec(name);
  return match === null ? undefined : `immich-${match[1]}_${match[2]}${match[3] ?? ''}`;
}

/**
 * Copies `source` (a finished dump) into `directory` as `name`: written to a hidden partial file,
 * checked against the dump's sha256 and size, fsynced, then renamed, so Immich never lists a
 * half-written file. A failure removes the partial file.
 */
export async function placeCopy(options: {
  source: string;
  sha256: string;
  size: number;
  directory: string;
  name: string;
  signal?: AbortSignal;
}): Promise<string> {
  const target = join(options.directory, options.name);
  const partial = join(options.directory, `.${options.name}.partial`);
  const hashing = new HashingCounter();
  try {
    // Mode as Immich's own dumps get it (0666 less the umask): Immich's server must be able to read it.
    await pipeline(createReadStream(options.source), hashing, createWriteStream(partial, { flags: 'wx', mode: 0o666 }), {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const sha256 = hashing.sha256();
    const size = hashing.bytes;
    if (sha256 !== options.sha256 || size !== options.size) {
      throw new Error(`the copy does not match the dump (size ${size} vs ${options.size}, sha256 ${sha256.slice(0, 12)}… vs ${options.sha256.slice(0, 12)}…)`);
    }
    await fsyncFile(partial);
    await rename(partial, target);
    await fsyncDirectory(options.directory);
    return target;
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new Error(`permission denied on ${options.directory}: mount Immich's backups folder read-write into the sidecar (${code})`);
    }
    if (code === 'ENOENT') throw new Error(`${options.directory} does not exist: mount Immich's UPLOAD_LOCATION/backups there`);
    if (code === 'ENOSPC') throw new Error(`no space left on the device holding ${options.directory}`);
    throw new Error(`could not copy the dump into ${options.directory}: ${errorMessage(error)}`);
  }
}

export interface CopyPruneResult {
  deleted: string[];
  errors: string[];
}

/**
 * Our local retention, applied to the copies: a copy stays exactly as long as its run folder is a
 * good local backup; leftover partial copies of interrupted runs go. Nothing else in the folder
 * (Immich's own dumps, restore points, uploads) is ever touched.
 */
export async function pruneCopies(directory: string, goodRunIds: ReadonlySet<string>): Promise<CopyPruneResult> {
  const result: CopyPruneResult = { deleted: [], errors: [] };
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw error;
  }
  for (const name of names) {
    const runId = copyRunId(name);
    const stale = runId === undefined ? partialPattern.test(name) : !goodRunIds.has(runId);
    if (!stale) continue;
    try {
      await rm(join(directory, name), { force: true });
      result.deleted.push(name);
    } catch (error) {
      result.errors.push(`${join(directory, name)}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
    }
  }
  return result;
}
