import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ChecksumCache } from './checksums.ts';
import { manifestFileName, manifestSchema, type Manifest } from './manifest.ts';

/**
 * Run folders: `immich-YYYYMMDD_HHMMSS` (local time, TZ), written first as the hidden
 * `.immich-YYYYMMDD_HHMMSS.partial` and renamed when complete. Only names matching these patterns
 * are ever touched by retention; Immich's own `immich-db-backup-*` files never match.
 */
const runPattern = /^immich-(\d{8})_(\d{6})(?:-(\d+))?$/;
const partialPattern = /^\.(immich-\d{8}_\d{6}(?:-\d+)?)\.partial$/;

export function runFolderName(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `immich-${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}` +
    `_${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

export function partialFolderName(runId: string): string {
  return `.${runId}.partial`;
}

/** The local time a run folder name stands for, or undefined for any other name. */
export function runFolderTime(name: string): Date | undefined {
  const match = runPattern.exec(name) ?? runPattern.exec(partialPattern.exec(name)?.[1] ?? '');
  if (match === null) return undefined;
  const [date, time] = [match[1]!, match[2]!];
  const parsed = new Date(
    Number(date.slice(0, 4)),
    Number(date.slice(4, 6)) - 1,
    Number(date.slice(6, 8)),
    Number(time.slice(0, 2)),
    Number(time.slice(2, 4)),
    Number(time.slice(4, 6)),
  );
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/**
 * - `good`: a complete manifest, and every file it lists is there with its size and sha256;
 * - `corrupt`: a complete manifest, every file there at its size, but a file's content does not
 *   match its sha256 (damaged on disk): never restored by default, never kept as a good backup;
 * - `failed`: a manifest that says failed;
 * - `incomplete`: anything else (no manifest, unreadable, in progress, files missing, or partial).
 */
export type RunFolderState = 'good' | 'corrupt' | 'failed' | 'incomplete';

export interface RunFolder {
  name: string;
  path: string;
  partial: boolean;
  runId: string;
  startedAt: Date;
  state: RunFolderState;
  /** Why a folder is not good, for `list` and the logs. */
  reason?: string;
  manifest: Manifest | null;
}

export async function readManifest(folder: string): Promise<{ manifest: Manifest | null; reason?: string }> {
  let text: string;
  try {
    text = await readFile(join(folder, manifestFileName), 'utf8');
  } catch {
    return { manifest: null, reason: 'no manifest' };
  }
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? { manifest: parsed.data } : { manifest: null, reason: 'manifest does not match the schema' };
  } catch {
    return { manifest: null, reason: 'manifest is not valid JSON' };
  }
}

/**
 * Checks every file a complete manifest lists: there, at its size, with its sha256. Returns why
 * the folder is not good, or undefined when it is.
 */
export async function checkManifestFiles(
  folder: string,
  manifest: Manifest,
  checksums: ChecksumCache,
): Promise<{ state: 'corrupt' | 'incomplete'; reason: string } | undefined> {
  for (const file of manifest.files) {
    const fileInfo = await stat(join(folder, file.path)).catch(() => undefined);
    if (fileInfo === undefined) return { state: 'incomplete', reason: `${file.path} is missing` };
    if (fileInfo.size !== file.size) return { state: 'incomplete', reason: `${file.path} has the wrong size` };
  }
  for (const file of manifest.files) {
    const actual = await checksums.sha256(join(folder, file.path));
    if (actual === undefined) return { state: 'incomplete', reason: `${file.path} is missing` };
    if (actual.sha256 !== file.sha256) {
      return { state: 'corrupt', reason: `${file.path} does not match its sha256 in the manifest (damaged on disk)` };
    }
  }
  return undefined;
}

async function inspect(backupDir: string, name: string, checksums: ChecksumCache): Promise<RunFolder | undefined> {
  const partialMatch = partialPattern.exec(name);
  const runId = partialMatch?.[1] ?? (runPattern.test(name) ? name : undefined);
  if (runId === undefined) return undefined;
  const path = join(backupDir, name);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) return undefined;
  const fromName = runFolderTime(runId) ?? info.mtime;
  const partial = partialMatch !== null;
  const { manifest, reason } = await readManifest(path);
  const startedAt = manifest !== null && !Number.isNaN(Date.parse(manifest.startedAt)) ? new Date(manifest.startedAt) : fromName;
  const base = { name, path, partial, runId, startedAt, manifest };
  if (partial) return { ...base, state: 'incomplete', reason: 'unfinished run (partial folder)' };
  if (manifest === null) return { ...base, state: 'incomplete', reason: reason ?? 'no manifest' };
  if (manifest.status === 'failed') return { ...base, state: 'failed', reason: manifest.error ?? 'run failed' };
  if (manifest.status !== 'complete') return { ...base, state: 'incomplete', reason: `manifest status ${manifest.status}` };
  const problem = await checkManifestFiles(path, manifest, checksums);
  if (problem !== undefined) return { ...base, ...problem };
  return { ...base, state: 'good' };
}

/** Every run folder (and partial one) in `backupDir`, newest first. A missing dir has none. */
export async function listRunFolders(backupDir: string): Promise<RunFolder[]> {
  const names = await readdir(backupDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const checksums = new ChecksumCache(backupDir);
  const folders = (await Promise.all(names.map((name) => inspect(backupDir, name, checksums)))).filter(
    (folder): folder is RunFolder => folder !== undefined,
  );
  await checksums.save({ prune: true });
  return folders.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.name.localeCompare(a.name));
}

export async function lastGoodRun(backupDir: string): Promise<RunFolder | undefined> {
  return (await listRunFolders(backupDir)).find((folder) => folder.state === 'good');
}
