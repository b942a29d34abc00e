import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ExitCode, UserError } from '../errors.ts';

export const lockFileName = '.immich-backup.lock';

interface LockContent {
  pid: number;
  host: string;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat), to survive PID reuse. */
  processStart: string | null;
  runId: string;
  since: string;
}

export class RunLockedError extends UserError {
  readonly holder: LockContent;

  constructor(holder: LockContent) {
    super(
      `another backup run is in progress (run ${holder.runId}, pid ${holder.pid} on ${holder.host}, since ${holder.since}); ` +
        'try again when it has finished',
      { exitCode: ExitCode.busy },
    );
    this.name = 'RunLockedError';
    this.holder = holder;
  }
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields after the ")" that ends the command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(holder: LockContent): boolean {
  if (holder.host !== hostname()) {
    // Another container sharing the volume: its PIDs mean nothing here. Trust the lock for a day.
    return Date.now() - Date.parse(holder.since) < 24 * 3_600_000;
  }
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // Same PID but a different process (a restarted container's node is PID 1 again): stale.
  const start = processStart(holder.pid);
  return holder.processStart === null || start === null || start === holder.processStart;
}

export interface RunLock {
  path: string;
  release(): Promise<void>;
}

/**
 * A lock file in BACKUP_DIR, so that a manual `immich-backup backup` (docker exec) and the
 * scheduled run never overlap, even as two processes. A lock left by a dead process is taken over.
 */
export async function acquireRunLock(backupDir: string, runId: string): Promise<RunLock> {
  const path = join(backupDir, lockFileName);
  const content: LockContent = {
    pid: process.pid,
    host: hostname(),
    processStart: processStart(process.pid),
    runId,
    since: new Date().toISOString(),
  };
  const text = `${JSON.stringify(content)}\n`;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(text);
      await handle.close();
      return {
        path,
        async release() {
          // Only remove the lock if it is still ours.
          const current = await readFile(path, 'utf8').catch(() => undefined);
          if (current === text) await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: LockContent | undefined;
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as LockContent;
    } catch {
      holder = undefined; // half-written or garbage: treat as stale
    }
    if (holder !== undefined && typeof holder.pid === 'number' && isAlive(holder)) throw new RunLockedError(holder);
    await unlink(path).catch(() => undefined);
  }
  throw new UserError(`cannot take the run lock ${path}`, { exitCode: ExitCode.busy });
}
