import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { link, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { writeNewFileSynced } from '../durable-files.ts';
import { ExitCode, UserError } from '../errors.ts';
import type { Logger } from '../log.ts';

export const lockFileName = '.immich-backup.lock';

const lockContentSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat), to survive PID reuse. */
  processStart: z.string().nullable(),
  /** The holder's PID namespace (`pid:[4026532511]`); absent in locks of older versions. */
  pidNamespace: z.string().nullable().optional(),
  /** The holder's container, as containerIdentity() reads it; absent in locks of older versions. */
  container: z.string().nullable().optional(),
  runId: z.string(),
  since: z.string(),
});

export type LockContent = z.infer<typeof lockContentSchema>;

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

/**
 * This process's PID namespace. Each container has its own, even when two share a hostname (the
 * compose file fixes `hostname: immich-backup`, so two stacks' sidecars, or a scaled service, on
 * one backups folder look like one host): a PID is only worth checking inside its own namespace.
 */
function pidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

/**
 * The id of the container a process runs in, from the source of its /etc/hostname bind mount in
 * mountinfo text: Docker's `…/containers/<id>/hostname`, Podman's and CRI-O's
 * `…/overlay-containers/<id>/userdata/hostname`, containerd's (Kubernetes) `…/sandboxes/<id>/hostname`.
 * Only such 64-hex ids count: the runtime makes that file for one container (or one pod) and keeps
 * it across restarts, where the PID namespace is new. Any other /etc/hostname (none outside a
 * container, or a file a user mounts into several containers) gives null: no identity.
 */
export function containerIdFromMountinfo(mountinfo: string): string | null {
  let id: string | null = null;
  for (const line of mountinfo.split('\n')) {
    // "<mount id> <parent id> <major:minor> <root> <mount point> …"; spaces inside paths are escaped.
    const [, , , root, mountPoint] = line.split(' ');
    if (mountPoint !== '/etc/hostname' || root === undefined) continue;
    // The last such mount is the one on top, the one this process sees.
    id = /\/([0-9a-f]{64})\/(?:userdata\/)?hostname$/.exec(root)?.[1] ?? null;
  }
  return id;
}

let cachedContainer: string | null | undefined;

/** This process's container (see containerIdFromMountinfo), read once: it never changes. */
function containerIdentity(): string | null {
  if (cachedContainer === undefined) {
    try {
      cachedContainer = containerIdFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    } catch {
      cachedContainer = null;
    }
  }
  return cachedContainer;
}

/** A run refreshes its lock file's modification time this often while it holds it. */
export const lockRefreshMs = 60_000;
/** A lock of another host not refreshed for this long is left behind: its run is gone. */
const foreignLockStaleMs = 10 * lockRefreshMs;

/**
 * Whether the process that wrote a lock still runs. `modifiedMs`: the lock file's modification
 * time, which a run refreshes while it holds the lock (see acquireRunLock).
 */
function isLockHolderAlive(holder: LockContent, modifiedMs: number): boolean {
  const ownNamespace = pidNamespace();
  const otherNamespace = holder.pidNamespace != null && ownNamespace !== null && holder.pidNamespace !== ownNamespace;
  const ownContainer = containerIdentity();
  if (otherNamespace && ownContainer !== null && holder.container === ownContainer) {
    // This container, restarted (killed by the OOM killer, `docker restart`, a host reboot): a
    // restart ends every process of the container with its PID namespace, so the holder died then;
    // waiting for its lock to go stale would skip the run of BACKUP_ON_START or refuse a manual
    // one for 10 minutes. The one case this trusts: containers sharing one /etc/hostname mount (the
    // containers of a Kubernetes pod) are taken as one, so two sidecars in one pod would each take
    // the other's live lock over.
    return false;
  }
  if (holder.host !== hostname() || otherNamespace) {
    // Another host, another container under the same hostname, or this container recreated (or
    // restarted without an identity we can read) after a run was killed: its PIDs mean nothing
    // here (the same number may be a live process of ours, or none), but a run going on there
    // keeps its lock fresh.
    return Date.now() - modifiedMs < foreignLockStaleMs;
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

/** The lock's holder, or undefined when the content is not a lock this program writes (judged stale). */
function parseHolder(text: string): LockContent | undefined {
  try {
    const parsed = lockContentSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

interface SeenLock {
  text: string;
  ino: number;
  mtimeMs: number;
  holder: LockContent | undefined;
}

async function readLock(path: string): Promise<SeenLock | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, ino: info.ino, mtimeMs: info.mtimeMs, holder: parseHolder(text) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The live holder of the lock at `path`, or null when it is free or its holder is dead. */
export async function liveLockHolder(path: string): Promise<LockContent | null> {
  const seen = await readLock(path).catch(() => undefined);
  return seen?.holder !== undefined && isLockHolderAlive(seen.holder, seen.mtimeMs) ? seen.holder : null;
}

const unknownHolder = (since: string): LockContent => ({ pid: 0, host: 'unknown', processStart: null, runId: 'unknown', since });

/**
 * Moves `path` aside and checks that what was moved is the lock that was judged stale; anything
 * else (a live lock that replaced it) is put back. Returns whether the stale lock is gone.
 */
async function removeIfUnchanged(path: string, seen: SeenLock): Promise<boolean> {
  const aside = `${path}.stale-${process.pid}-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = await readLock(aside);
  if (moved !== undefined && (moved.text !== seen.text || moved.ino !== seen.ino)) {
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return false;
  }
  await unlink(aside).catch(() => undefined);
  return true;
}

type TryResult = { acquired: true; release(): Promise<void> } | { acquired: false; holder: LockContent };

/**
 * One attempt at the lock file `path`. The file is created with its whole content at once (a
 * temporary file hard-linked to the name, which fails if the name exists), so a competitor never
 * reads a half-written lock. A lock whose holder is dead is taken over under a second lock
 * (`path.takeover`, same scheme): only one process at a time may judge and remove a stale lock,
 * and it removes it only if it is still byte for byte the one it judged (inode and content).
 */
export async function tryLockFile(path: string, content: Omit<LockContent, 'pid' | 'host' | 'processStart' | 'pidNamespace' | 'container' | 'since'>, log?: Logger): Promise<TryResult> {
  const full: LockContent = {
    pid: process.pid,
    host: hostname(),
    processStart: processStart(process.pid),
    pidNamespace: pidNamespace(),
    container: containerIdentity(),
    runId: content.runId,
    since: new Date().toISOString(),
  };
  const text = `${JSON.stringify(full)}\n`;
  const temporary = `${path}.${process.pid}-${randomUUID()}.tmp`;
  // Flushed before it is linked into place, so a lock that survives a crash is never empty. The
  // name itself is not fsynced: after a crash its holder is gone, and the lock is stale anyway.
  await writeNewFileSynced(temporary, text);
  try {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      try {
        await link(temporary, path);
        return {
          acquired: true,
          async release() {
            // Only remove the lock if it is still ours (it always is: live locks are never taken over).
            const current = await readFile(path, 'utf8').catch(() => undefined);
            if (current === text) await unlink(path).catch(() => undefined);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const seen = await readLock(path);
      if (seen === undefined) continue; // released meanwhile
      if (seen.holder !== undefined && isLockHolderAlive(seen.holder, seen.mtimeMs)) return { acquired: false, holder: seen.holder };
      if (await takeOver(path, seen, temporary)) {
        log?.warn(
          { lock: path, previous: seen.holder ?? { content: 'unreadable' } },
          `took over a stale lock${seen.holder === undefined ? ' (unreadable content)' : ` left by pid ${seen.holder.pid} (run ${seen.holder.runId}), which no longer runs`}`,
        );
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      }
    }
    const last = await readLock(path);
    return { acquired: false, holder: last?.holder ?? unknownHolder(new Date().toISOString()) };
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Removes the stale lock `seen` while holding `path.takeover`; false when another process is at it. */
async function takeOver(path: string, seen: SeenLock, temporary: string): Promise<boolean> {
  const takeoverPath = `${path}.takeover`;
  try {
    await link(temporary, takeoverPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const other = await readLock(takeoverPath);
    // A process that died in the few system calls of a takeover: its takeover lock is stale too.
    if (other !== undefined && (other.holder === undefined || !isLockHolderAlive(other.holder, other.mtimeMs))) await removeIfUnchanged(takeoverPath, other);
    return false;
  }
  try {
    const current = await readLock(path);
    if (current === undefined || current.ino !== seen.ino || current.text !== seen.text) return false;
    return await removeIfUnchanged(path, seen);
  } finally {
    await unlink(takeoverPath).catch(() => undefined);
  }
}

export interface RunLock {
  path: string;
  release(): Promise<void>;
}

/**
 * A lock file in BACKUP_DIR, so that a manual `immich-backup backup` (docker exec) and the
 * scheduled run never overlap, even as two processes. A lock left by a dead process is taken over
 * (and logged).
 */
export async function acquireRunLock(backupDir: string, runId: string, log?: Logger, options: { refreshEveryMs?: number } = {}): Promise<RunLock> {
  const path = join(backupDir, lockFileName);
  const result = await tryLockFile(path, { runId }, log);
  if (!result.acquired) throw new RunLockedError(result.holder);
  // Kept fresh while held: the only sign of life another host or another container (or this one,
  // recreated) can see. Content and inode stay the same, as the takeover compares them.
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, options.refreshEveryMs ?? lockRefreshMs);
  refresh.unref();
  return {
    path,
    async release() {
      clearInterval(refresh);
      await result.release();
    },
  };
}

/**
 * Runs `work` holding the short-lived lock `path` (waiting up to `timeoutMs` for it): for a
 * read-modify-write of a small file that a run and a `verify` may both update.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: { timeoutMs?: number; log?: Logger } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const result = await tryLockFile(path, { runId: 'state-update' }, options.log);
    if (result.acquired) {
      try {
        return await work();
      } finally {
        await result.release();
      }
    }
    if (Date.now() > deadline) {
      throw new UserError(`the lock ${path} is held by pid ${result.holder.pid} since ${result.holder.since}; gave up waiting for it`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
  }
}
