import { join } from 'node:path';
import type { RunReport } from '../report.ts';
import { formatDuration } from '../format.ts';
import { formatLocalTime, localIso } from '../time.ts';
import { liveLockHolder, lockFileName } from '../backup/lock.ts';
import { listRunFolders, type RunFolder, type RunFolderState } from '../backup/run-folders.ts';
import { loadState, type SidecarState } from '../backup/state.ts';
import { failedChecksReason, type CheckResult } from '../backup/preflight.ts';

export interface StatusInputs {
  backupDir: string;
  maxAgeMs: number;
  schedule?: string;
  timeZone?: string;
  /** The run going on in this process, if any. */
  current?: RunReport | null;
  nextRun?: Date | null;
  /** When the service started: before the first backup, it is healthy for BACKUP_MAX_AGE. */
  serviceStartedAt?: Date;
  /** The start-up checks' latest results: any failure makes the service unhealthy. */
  checks?: readonly CheckResult[];
  now?: Date;
}

export interface LocalBackup {
  name: string;
  state: RunFolderState;
  startedAt: string;
  finishedAt: string | null;
  reason?: string;
  size: number;
  /** Immich's version and newest migration when the backup was taken (from its manifest). */
  immich: { version: string | null; migration: string | null } | null;
}

export interface Status {
  healthy: boolean;
  reason: string;
  now: string;
  schedule: string | null;
  timeZone: string | null;
  nextRun: string | null;
  serviceStartedAt: string | null;
  /** The run in progress (this process's, or another process's holding the lock). */
  running: RunReport | { runId: string; pid: number; since: string } | null;
  lastRun: RunReport | null;
  lastSuccess: RunReport | null;
  recentRuns: RunReport[];
  lastGoodBackup: { name: string; finishedAt: string; ageSeconds: number } | null;
  maxAgeSeconds: number;
  localBackups: LocalBackup[];
  counters: SidecarState['counters'];
  /** The last restore test (`verify`), if one ran. */
  lastVerify: SidecarState['lastVerify'] | null;
  /** Start-up checks (backups folder, library, config files, Kopia) and what each found. */
  checks: CheckResult[];
  /** Whether the last finished run's snapshots are in an offsite repository (null before the first run). */
  offsite: boolean | null;
  /** The Kopia repository this sidecar backs up to (remembered in the state file), if any yet. */
  repository: SidecarState['repository'] | null;
}

/** How far ahead of the clock a backup's end may be and still count (a clock corrected by NTP). */
const clockSlackMs = 5 * 60_000;

/** Another process's run, if the lock's holder still runs: a lock left by a killed run is no run. */
async function lockHolder(backupDir: string): Promise<{ runId: string; pid: number; since: string } | null> {
  const holder = await liveLockHolder(join(backupDir, lockFileName));
  return holder === null ? null : { runId: holder.runId, pid: holder.pid, since: holder.since };
}

/**
 * Everything /status, /healthz, /metrics and `immich-backup status` say, derived from disk (run
 * folders' manifests and the state file), so it survives restarts, plus the run in progress.
 */
export async function collectStatus(inputs: StatusInputs): Promise<Status> {
  const now = inputs.now ?? new Date();
  const [folders, state, holder] = await Promise.all([
    listRunFolders(inputs.backupDir),
    loadState(inputs.backupDir),
    inputs.current ? Promise.resolve(null) : lockHolder(inputs.backupDir),
  ]);
  const finishedAt = (folder: RunFolder) => new Date(folder.manifest?.finishedAt ?? folder.startedAt);
  // A backup dated ahead of the clock was made while the clock was ahead (it was set back since):
  // its age says nothing, and counted it kept /healthz "ok" (a negative age) until the clock caught
  // up with it, however long the backups had stopped. The newest one the clock has reached counts.
  const fromTheFuture = folders.filter((folder) => folder.state === 'good' && finishedAt(folder).getTime() > now.getTime() + clockSlackMs);
  const lastGood = folders.find((folder) => folder.state === 'good' && !fromTheFuture.includes(folder));
  const lastGoodFinished = lastGood ? finishedAt(lastGood) : undefined;
  const lastRun = state.runs[0] ?? null;
  // A skipped run (Immich in maintenance mode) made no backup: it neither clears a failure before it
  // nor stands for one. Without this, a night skipped after a failed Kopia copy read "ok" again,
  // calling the local folder of the failed run a good backup though it never got offsite.
  const lastAttempt = state.runs.find((run) => run.status !== 'skipped') ?? null;
  const lastSuccess = state.runs.find((run) => run.status === 'success') ?? null;

  let healthy: boolean;
  let reason: string;
  const maxAge = formatDuration(inputs.maxAgeMs);
  const checksFailed = failedChecksReason(inputs.checks ?? []);
  if (checksFailed !== undefined) {
    // What will make the next run fail (or never start) comes first: it says what to fix.
    healthy = false;
    reason = checksFailed;
  } else if (lastAttempt !== null && lastAttempt.status === 'failed') {
    healthy = false;
    const skipped = lastAttempt === lastRun ? '' : ` (the runs after it were skipped, the last one: ${lastRun!.error})`;
    reason = `last run ${lastAttempt.runId} failed (exit ${lastAttempt.exitCode}) at step ${lastAttempt.failedStep}: ${lastAttempt.error}${skipped}`;
  } else if (lastGood === undefined || lastGoodFinished === undefined) {
    const started = inputs.serviceStartedAt;
    // A `.partial` folder no run is writing is a run that was killed (OOM, SIGKILL): it records no
    // failure, and the container's restart began a new grace period, so a sidecar killed in every
    // run read "no backup yet" for good. The grace is for a sidecar that has not tried yet.
    const runningId = inputs.current?.runId ?? holder?.runId;
    const interrupted = folders.filter((folder) => folder.partial && folder.runId !== runningId);
    if (interrupted.length > 0) {
      healthy = false;
      reason = `no good backup in ${inputs.backupDir}: run ${interrupted[0]!.runId} was interrupted (killed?) before it finished; see the log of that run`;
    } else if (started !== undefined && now.getTime() - started.getTime() < inputs.maxAgeMs) {
      healthy = true;
      reason = `no backup yet; waiting for the first run${inputs.nextRun ? ` at ${formatLocalTime(inputs.nextRun, inputs.timeZone)}` : ''}`;
    } else {
      healthy = false;
      reason = `no good backup in ${inputs.backupDir}`;
    }
  } else {
    const age = now.getTime() - lastGoodFinished.getTime();
    healthy = age <= inputs.maxAgeMs;
    // "Good" is the local folder: say when the last run's copy did not get offsite (Kopia off, or
    // its repository on this machine), rather than let "ok" read as an offsite backup.
    const notOffsite = lastAttempt !== null && lastAttempt.offsite !== true ? ', not offsite' : '';
    reason = healthy
      ? `last good backup ${lastGood.name} is ${formatDuration(age)} old${notOffsite}`
      : `last good backup ${lastGood.name} is ${formatDuration(age)} old, more than BACKUP_MAX_AGE (${maxAge})`;
  }

  if (fromTheFuture.length > 0) {
    const named = fromTheFuture.map((folder) => `${folder.name} (finished ${localIso(finishedAt(folder), inputs.timeZone)})`).join(', ');
    reason = `${reason}; not counted, dated ahead of the clock (was the clock set back?): ${named}`;
  }

  // A restore test that failed says the backups may not restore, whatever their checksums say: it
  // stays unhealthy until a restore test passes (`immich-backup verify`), as a new nightly backup
  // proves nothing about restoring.
  const verify = state.lastVerify;
  // A restore test that found no backup to restore (run before the first one, or while the backups
  // folder was empty) says nothing about a backup made since: it kept /healthz 503 over good backups
  // until the next restore test, a month away by default.
  const foundNoBackup = verify !== undefined && verify.runId === null && lastGoodFinished !== undefined && lastGoodFinished.getTime() > new Date(verify.checkedAt).getTime();
  if (verify !== undefined && !verify.ok && !foundNoBackup) {
    const first = verify.problems[0] ?? 'no problem recorded';
    const more = verify.problems.length > 1 ? ` (and ${verify.problems.length - 1} more)` : '';
    reason = `${healthy ? '' : `${reason}; `}the last restore test (${verify.runId ?? 'no backup'}, at ${localIso(new Date(verify.checkedAt), inputs.timeZone)}) failed: ${first}${more}; run \`immich-backup verify\` again once fixed`;
    healthy = false;
  }

  // A backup damaged on disk is never silent: it is not restorable, and the disk may be failing.
  const corrupt = folders.filter((folder) => folder.state === 'corrupt');
  if (corrupt.length > 0) {
    const named = corrupt.map((folder) => `${folder.name} (${folder.reason})`).join(', ');
    reason = `${healthy ? '' : `${reason}; `}local backup(s) corrupt: ${named}; check the disk, then delete the folder(s)`;
    healthy = false;
  }

  return {
    healthy,
    reason,
    // Times a person reads: in the schedule's zone, with the offset (still ISO 8601).
    now: localIso(now, inputs.timeZone),
    schedule: inputs.schedule ?? null,
    timeZone: inputs.timeZone ?? null,
    nextRun: inputs.nextRun ? localIso(inputs.nextRun, inputs.timeZone) : null,
    serviceStartedAt: inputs.serviceStartedAt?.toISOString() ?? null,
    running: inputs.current ?? holder,
    lastRun,
    lastSuccess,
    recentRuns: state.runs.slice(0, 10),
    lastGoodBackup:
      lastGood && lastGoodFinished
        ? { name: lastGood.name, finishedAt: lastGoodFinished.toISOString(), ageSeconds: Math.round((now.getTime() - lastGoodFinished.getTime()) / 1000) }
        : null,
    maxAgeSeconds: Math.round(inputs.maxAgeMs / 1000),
    localBackups: folders.map((folder) => ({
      name: folder.name,
      state: folder.state,
      startedAt: folder.startedAt.toISOString(),
      finishedAt: folder.manifest?.finishedAt ?? null,
      ...(folder.reason === undefined ? {} : { reason: folder.reason }),
      size: folder.manifest?.files.reduce((sum, file) => sum + file.size, 0) ?? 0,
      immich: folder.manifest?.immich ?? null,
    })),
    counters: state.counters,
    lastVerify: state.lastVerify ?? null,
    checks: [...(inputs.checks ?? [])],
    // A skipped run made no copy at all: the last attempted run says where the copies are.
    offsite: lastAttempt === null ? null : lastAttempt.offsite === true,
    repository: state.repository ?? null,
  };
}
