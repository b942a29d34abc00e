/**
 * Step "manifest": manifest.json, the run folder's proof of completeness, is written once the dump
 * and the config copies are on disk, read back against its sha256s, and only then does the hidden
 * `.immich-….partial` folder get the run's name. This file is the one place manifest.json is
 * written: here, and again when the Kopia result is recorded in it after the snapshots.
 */
import { access, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../errors.ts';
import { fsyncDirectory, writeFileAtomic } from '../../durable-files.ts';
import type { RepositoryFacts } from '../../kopia/repository.ts';
import { toolVersion } from '../../version.ts';
import { ChecksumCache } from '../checksums.ts';
import { dumpFileName, manifestFileName, manifestFormatVersion, type Manifest } from '../manifest.ts';
import type { ImmichFigures, SnapshotRef } from '../../report.ts';
import { checkManifestFiles } from '../run-folders.ts';
import type { ConfigCopyResult } from './config-copy.ts';
import { manifestDatabase, type DumpStepResult } from './dump.ts';
import { stepResult, type StepResult } from './step.ts';

export interface RunFolderContents {
  backupDir: string;
  /** The hidden folder the run wrote into. */
  partialFolder: string;
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  dump: DumpStepResult;
  copies: ConfigCopyResult;
  immich: Omit<ImmichFigures, 'copy'>;
  /** Durations of the steps so far, by step name. */
  timings: Record<string, number>;
  warnings: string[];
}

export interface CompletedRunFolder {
  /** The run's id as named on disk: `immich-…`, or `immich-…-2` when a folder of that name already existed. */
  runId: string;
  folder: string;
  manifest: Manifest;
}

/**
 * The manifest step's work. The folder's final name is chosen first (runs never overlap: the
 * caller holds the run lock), so the manifest is written once with the id it is kept under.
 */
export async function completeRunFolder(contents: RunFolderContents): Promise<CompletedRunFolder> {
  const { backupDir, partialFolder, dump, copies } = contents;
  let runId = contents.runId;
  for (let index = 2; await exists(join(backupDir, runId)); index += 1) runId = `${contents.runId}-${index}`;
  const manifest: Manifest = {
    formatVersion: manifestFormatVersion,
    tool: 'immich-backup',
    toolVersion,
    runId,
    status: 'complete',
    startedAt: contents.startedAt.toISOString(),
    finishedAt: contents.finishedAt.toISOString(),
    database: manifestDatabase(dump),
    immich: contents.immich,
    files: [
      { path: dumpFileName, size: dump.size, sha256: dump.sha256 },
      ...copies.copied.map((file) => ({ path: file.path, size: file.size, sha256: file.sha256 })),
    ],
    timings: contents.timings,
    warnings: contents.warnings,
    error: null,
  };
  await writeManifest(partialFolder, manifest);
  // Read back once: what is on disk must match the sha256 computed while writing (this also
  // fills the checksum cache that list, status and retention use).
  const checksums = new ChecksumCache(backupDir);
  const problem = await checkManifestFiles(partialFolder, manifest, checksums);
  await checksums.save({ prune: false });
  if (problem !== undefined) throw new Error(`read back after writing, ${problem.reason}`);
  // The rename is what makes the run visible as a backup: do it only with everything on disk.
  const folder = join(backupDir, runId);
  await rename(partialFolder, folder);
  await fsyncDirectory(backupDir);
  return { runId, folder, manifest };
}

export interface KopiaOutcome {
  snapshots: { backups?: SnapshotRef; library?: SnapshotRef };
  repository: RepositoryFacts | null;
  /** `<step>: <message>` of each Kopia step that failed. */
  errors: string[];
}

/**
 * Records the run's Kopia result in its finished folder's manifest (after the snapshots, so the
 * copy of the manifest inside the backups snapshot does not have it). Returns a warning for the
 * run when it could not be written; the local backup stays good either way.
 */
export async function recordKopiaOutcome(completed: CompletedRunFolder, outcome: KopiaOutcome): Promise<string | undefined> {
  const reference = (snapshot: SnapshotRef | undefined) => (snapshot === undefined ? null : { id: snapshot.id, source: snapshot.source });
  completed.manifest.kopia = {
    backups: reference(outcome.snapshots.backups),
    library: reference(outcome.snapshots.library),
    repository: outcome.repository,
    errors: outcome.errors,
  };
  try {
    await writeManifest(completed.folder, completed.manifest);
    return undefined;
  } catch (error) {
    return `could not record the Kopia result in the manifest: ${errorMessage(error)}`;
  }
}

async function writeManifest(folder: string, manifest: Manifest): Promise<void> {
  await writeFileAtomic(join(folder, manifestFileName), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The manifest step reports no summary of its own: the run report's `folder` is what it made. */
export function summarizeManifest(): StepResult {
  return stepResult({});
}
