import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../durable-files.ts';
import type { RepositoryFacts } from '../kopia/repository.ts';
import type { Logger } from '../log.ts';
import { withFileLock } from './lock.ts';
import type { RunReport, VerifyResult } from '../report.ts';

/**
 * A small state file in BACKUP_DIR: the last runs' reports and counters, so that /healthz,
 * /status and /metrics tell the same story after a restart, and a manual `backup` (docker exec)
 * shows up in the service's status. A run and a `verify` may both update it: every update is a
 * read-modify-write under its own short lock, written atomically and fsynced.
 */
export const stateFileName = '.immich-backup-state.json';
export const stateLockFileName = '.immich-backup-state.lock';

function updateState(backupDir: string, log: Logger | undefined, change: (state: SidecarState) => void): Promise<SidecarState> {
  return withFileLock(join(backupDir, stateLockFileName), async () => {
    const read = await readStateFile(backupDir);
    const state = read.state;
    if (read.problem !== undefined) {
      // Keep the invalid file for a person to look at: it may still hold the last runs' record.
      const aside = `${join(backupDir, stateFileName)}.invalid-${new Date().toISOString().replaceAll(':', '')}`;
      const kept = await rename(join(backupDir, stateFileName), aside).then(
        () => `kept as ${aside}`,
        () => 'it could not be moved aside',
      );
      log?.warn({ stateFile: join(backupDir, stateFileName), problem: read.problem }, `${read.problem}; starting a new state file (${kept})`);
    }
    change(state);
    await writeFileAtomic(join(backupDir, stateFileName), `${JSON.stringify(state, null, 2)}\n`);
    return state;
  });
}
const keptRuns = 30;

export interface SidecarState {
  version: 1;
  /** Newest first. */
  runs: RunReport[];
  counters: {
    runs: number;
    failures: number;
    failuresByStep: Record<string, number>;
  };
  /** The last restore test (`verify`), for /status and /metrics. */
  lastVerify?: VerifyResult;
  /**
   * The Kopia repository this sidecar backs up to: remembered from the first run (or set by
   * `immich-backup kopia connect|accept`), and checked at the start of every run. A server that
   * is not connected to it, or connected to another one, fails the run instead of being "fixed".
   */
  repository?: KnownRepository;
}

export interface KnownRepository extends RepositoryFacts {
  firstSeenAt: string;
  lastSeenAt: string;
  /** Ids of the newest snapshots made into it (newest first): a repository holding none of them is another one. */
  snapshotIds: string[];
}

const keptSnapshotIds = 20;

export function emptyState(): SidecarState {
  return { version: 1, runs: [], counters: { runs: 0, failures: 0, failuresByStep: {} } };
}

/**
 * What the readers of the state file rely on (/status, /healthz, /metrics, the Kopia repository
 * check). Runs are this program's reports: the fields added since the first version are optional,
 * and fields not read here are kept as written, so a state file of an older version stays valid.
 */
const repositorySchema = z.looseObject({
  id: z.string(),
  storage: z.string(),
  apiServerURL: z.string().optional(),
  description: z.string(),
  offsite: z.boolean(),
});

const runSchema = z.looseObject({
  runId: z.string(),
  status: z.enum(['running', 'success', 'failed', 'skipped']),
  exitCode: z.number().int().nullable(),
  trigger: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  folder: z.string().nullable(),
  failedStep: z.string().nullable(),
  error: z.string().nullable(),
  steps: z.array(z.looseObject({ name: z.string(), status: z.string(), durationMs: z.number() })),
  warnings: z.array(z.string()),
  dump: z.looseObject({}).nullable(),
  snapshots: z.looseObject({}),
  repository: repositorySchema.nullable().default(null),
  offsite: z.boolean().default(false),
});

const stateSchema = z.looseObject({
  version: z.literal(1),
  runs: z.array(runSchema),
  counters: z.looseObject({
    runs: z.number().int().nonnegative(),
    failures: z.number().int().nonnegative(),
    failuresByStep: z.record(z.string(), z.number().int().nonnegative()),
  }),
  lastVerify: z
    .looseObject({
      ok: z.boolean(),
      checkedAt: z.string(),
      tablesChecked: z.number(),
      problems: z.array(z.string()),
      files: z.looseObject({ missing: z.number() }).nullable(),
    })
    .optional(),
  repository: repositorySchema
    .extend({
      firstSeenAt: z.string(),
      lastSeenAt: z.string(),
      snapshotIds: z.array(z.string()),
    })
    .optional(),
});

/** The state file's content, or an empty state; `problem` says why a file that is there was not used. */
async function readStateFile(backupDir: string): Promise<{ state: SidecarState; problem?: string }> {
  const path = join(backupDir, stateFileName);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    // No state file yet (or it was lost): a first run, or one rebuilt from the run folders.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState() };
    return { state: emptyState(), problem: `cannot read the state file ${path}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { state: emptyState(), problem: `the state file ${path} is not valid JSON (${(error as Error).message})` };
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const { issues } = parsed.error;
    const shown = issues.slice(0, 3).map((issue) => `${issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').slice(1) || 'the whole file'}: ${issue.message}`);
    const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
    return { state: emptyState(), problem: `the state file ${path} is not valid: ${shown.join('; ')}${more}` };
  }
  // Checked where it is read. Step names stay strings (a step renamed since must not void the
  // file), so the typed view is asserted: the rest of each report is this program's own output.
  return { state: parsed.data as unknown as SidecarState };
}

/**
 * The state, or an empty one when there is no valid state file: a state file that fails validation
 * is treated like a lost one (the Kopia repository is then recognised from the run folders'
 * manifests), and said so in `log`.
 */
export async function loadState(backupDir: string, log?: Logger): Promise<SidecarState> {
  const { state, problem } = await readStateFile(backupDir);
  if (problem !== undefined) log?.warn({ stateFile: join(backupDir, stateFileName), problem }, `${problem}; using an empty state until the next run rewrites it`);
  return state;
}

export async function recordRun(backupDir: string, report: RunReport, log?: Logger): Promise<SidecarState> {
  return updateState(backupDir, log, (state) => {
    state.runs = [report, ...state.runs.filter((run) => run.runId !== report.runId)].slice(0, keptRuns);
    state.counters.runs += 1;
    if (report.repository !== null) {
      const known = state.repository?.id === report.repository.id ? state.repository : undefined;
      const made = [report.snapshots.backups?.id, report.snapshots.library?.id].filter((id): id is string => id !== undefined);
      state.repository = {
        ...report.repository,
        firstSeenAt: known?.firstSeenAt ?? report.startedAt,
        lastSeenAt: report.finishedAt ?? report.startedAt,
        snapshotIds: [...made, ...(known?.snapshotIds ?? []).filter((id) => !made.includes(id))].slice(0, keptSnapshotIds),
      };
    }
    if (report.status === 'failed') {
      state.counters.failures += 1;
      const step = report.failedStep ?? 'unknown';
      state.counters.failuresByStep[step] = (state.counters.failuresByStep[step] ?? 0) + 1;
    }
  });
}

export async function recordVerify(backupDir: string, result: VerifyResult, log?: Logger): Promise<SidecarState> {
  return updateState(backupDir, log, (state) => {
    state.lastVerify = result;
  });
}

/** Records the repository the user connected the server to on purpose (`immich-backup kopia connect|accept`). */
export async function recordRepository(backupDir: string, repository: RepositoryFacts, options: { now?: Date; log?: Logger } = {}): Promise<SidecarState> {
  const now = options.now ?? new Date();
  return updateState(backupDir, options.log, (state) => {
    state.repository = { ...repository, firstSeenAt: now.toISOString(), lastSeenAt: now.toISOString(), snapshotIds: [] };
  });
}
