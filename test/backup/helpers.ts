import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpFileName, manifestFileName, manifestFormatVersion, type Manifest } from '../../src/backup/manifest.ts';
import { runFolderName } from '../../src/backup/run-folders.ts';

/** Writes a run folder as a past run would have left it: good, failed, or without a manifest. */
export function makeRunFolder(
  backupDir: string,
  startedAt: Date,
  state: 'good' | 'failed' | 'no-manifest' | 'in-progress' | 'partial' | 'truncated',
): string {
  const runId = runFolderName(startedAt);
  const name = state === 'partial' ? `.${runId}.partial` : runId;
  const folder = join(backupDir, name);
  mkdirSync(folder, { recursive: true });
  const dump = Buffer.from(`dump of ${runId}\n`);
  writeFileSync(join(folder, dumpFileName), state === 'truncated' ? dump.subarray(0, 3) : dump);
  if (state === 'no-manifest' || state === 'partial') return name;
  const manifest: Manifest = {
    formatVersion: manifestFormatVersion,
    tool: 'immich-backup',
    toolVersion: '0.1.0',
    runId,
    status: state === 'failed' ? 'failed' : state === 'in-progress' ? 'in-progress' : 'complete',
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    database: { serverVersion: '14.0', name: 'immich', file: dumpFileName, tables: [], unsupportedObjects: [] },
    files: [{ path: dumpFileName, size: dump.length, sha256: createHash('sha256').update(dump).digest('hex') }],
    timings: {},
    warnings: [],
    error: state === 'failed' ? 'boom' : null,
  };
  writeFileSync(join(folder, manifestFileName), JSON.stringify(manifest));
  return name;
}

export const dayMs = 86_400_000;
