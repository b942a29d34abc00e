import { createWriteStream } from 'node:fs';
import { link, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KopiaConnection } from '../config.ts';
import { fsyncDirectory, fsyncFile } from '../durable-files.ts';
import { errorMessage } from '../errors.ts';
import {
  directorySchema,
  emptySchema,
  policySchema,
  repoStatusSchema,
  snapshotSchema,
  snapshotsResponseSchema,
  sourcesResponseSchema,
  taskLogsSchema,
  taskSchema,
  tasksResponseSchema,
  type DirEntry,
  type Policy,
  type RepoStatus,
  type RetentionPolicy,
  type Snapshot,
  type SourceInfo,
  type Task,
} from './schemas.ts';
import { KopiaError, KopiaTransport, type KopiaTransportOptions } from './transport.ts';


export interface Progress {
  files: number;
  bytes: number;
  /** Snapshot only: bytes actually sent to the repository (new content after deduplication). */
  uploadedBytes?: number;
}

export interface SnapshotResult {
  snapshotId: string;
  rootId: string;
  source: SourceInfo;
  startTime: string;
  endTime: string | undefined;
  /**
   * `hashedBytes` is the content Kopia had to read and store because it was new or changed; `cachedBytes`
   * was recognised as unchanged. (Kopia's own "Uploaded Bytes" counter only counts metadata writes here.)
   */
  stats: { files: number; bytes: number; uploadedBytes: number; hashedBytes: number; cachedBytes: number; errors: number };
}

export interface RestoreResult {
  files: number;
  directories: number;
  bytes: number;
  errors: number;
}

const restoreAllDepths = 2147483647;

/** How long a finished snapshot task's snapshot may take to be listed. */
const snapshotListedWithinMs = 10_000;

/**
 * The Kopia server's operations, through its REST API (the API Kopia's own web UI uses):
 * repository status and connection, policies, snapshots, restores, browsing a snapshot. The server
 * reads and writes files on its own mounts, so every path here is a path as the *server* sees it.
 * How a request travels (TLS pinning, CSRF, timeouts, retries, errors, task polling) is
 * transport.ts's.
 */
export class KopiaClient {
  readonly connection: KopiaConnection;
  readonly #transport: KopiaTransport;
  #identity: { userName: string; host: string } | undefined;

  constructor(connection: KopiaConnection, options: KopiaTransportOptions = {}) {
    this.connection = connection;
    this.#transport = new KopiaTransport(connection, options);
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  /** The repository's state; `connected: false` means the server has no repository to write to. */
  async status(): Promise<RepoStatus> {
    return this.#transport.call('GET', '/api/v1/repo/status', repoStatusSchema);
  }

  /** Fails with one clear line unless the server is reachable, accepts us and has a repository. */
  async requireRepository(): Promise<RepoStatus> {
    const status = await this.status();
    if (!status.connected) {
      throw new KopiaError(
        `the Kopia server at ${this.connection.url} has no repository connected: connect it to your repository (kopia repository connect/create) first`,
        { code: 'NOT_CONNECTED' },
      );
    }
    return status;
  }

  /**
   * Creates a filesystem repository at `path` (on the server) when the server has none, or
   * connects to the one already there: the out-of-the-box default before the user set up an
   * offsite vault. Returns what it did.
   */
  async createFilesystemRepositoryIfMissing(path: string, password: string): Promise<'already-connected' | 'connected' | 'created'> {
    const status = await this.status();
    if (status.connected) return 'already-connected';
    const storage = { type: 'filesystem', config: { path } };
    let created = false;
    try {
      await this.#transport.call('POST', '/api/v1/repo/exists', emptySchema, { body: { storage } });
    } catch (error) {
      // A folder that does not exist yet holds no repository either: create both.
      const missing = error instanceof KopiaError && (error.code === 'NOT_INITIALIZED' || /no such file or directory/.test(error.message));
      if (!missing) throw error;
      await this.#transport.call('POST', '/api/v1/repo/create', emptySchema, { body: { storage, password, options: {}, clientOptions: {} } });
      created = true;
    }
    if (!created) await this.#transport.call('POST', '/api/v1/repo/connect', emptySchema, { body: { storage, password, clientOptions: {} } });
    // The create/connect answer describes the state before the request: poll until it is connected.
    const deadline = Date.now() + this.#transport.unreachableTimeoutMs;
    while (!(await this.status()).connected) {
      if (Date.now() > deadline) throw new KopiaError('the Kopia server did not finish connecting its repository in time');
      await sleep(this.#transport.pollIntervalMs);
    }
    this.#identity = undefined;
    return created ? 'created' : 'connected';
  }

  /**
   * What the server's own repository-opening task last said (e.g. "unable to open repository:
   * invalid repository password"), while it keeps retrying (`--async-repo-connect`).
   */
  async taskProblem(taskId: string): Promise<string | undefined> {
    const [task, logs] = await Promise.all([
      this.#transport.call('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}`, taskSchema).catch(() => undefined),
      this.#transport.call('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}/logs`, taskLogsSchema).catch(() => undefined),
    ]);
    if (task?.errorMessage !== undefined) return task.errorMessage;
    const entries = logs?.logs ?? [];
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const entry = entries[index]!;
      if ((entry.level ?? 0) >= 2 && entry.msg !== undefined) {
        return entry.msg.replace(/, will keep trying until canceled.*$/s, '').replace(/^(unable to open repository: )+/, 'unable to open repository: ');
      }
    }
    return undefined;
  }

  /** Cancels the server's task of work we were stopped during: a request made while stopping, never retried, never failing. */
  async #cancelStoppedTask(taskId: string): Promise<void> {
    await this.#transport.call('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/cancel`, emptySchema, { body: {}, retry: false, cleanup: true }).catch(() => undefined);
  }

  /** Cancels a task (no-op when it is not running). */
  async cancelTask(taskId: string): Promise<void> {
    await this.#transport.call('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/cancel`, emptySchema, { body: {} });
  }

  /** Disconnects the server from its repository (only ever on the user's explicit request). */
  async disconnect(): Promise<void> {
    await this.#transport.call('POST', '/api/v1/repo/disconnect', emptySchema, { body: {}, retry: false });
    this.#identity = undefined;
  }

  /**
   * Connects the server (not connected) to another Kopia server acting as a repository server (the
   * vault), with the certificate pinned and the vault user's `user@host`, and waits until it is
   * connected or the connection failed.
   */
  async connectToRepositoryServer(options: {
    url: string;
    fingerprint: string;
    userName: string;
    host: string;
    password: string;
    description?: string;
    timeoutMs?: number;
  }): Promise<RepoStatus> {
    const before = new Set(((await this.#transport.call('GET', '/api/v1/tasks', tasksResponseSchema)).tasks ?? []).map((task) => task.id));
    await this.#transport.call('POST', '/api/v1/repo/connect', emptySchema, {
      retry: false,
      body: {
        apiServer: { url: options.url, serverCertFingerprint: options.fingerprint },
        password: options.password,
        clientOptions: { username: options.userName, hostname: options.host, ...(options.description === undefined ? {} : { description: options.description }) },
        syncWaitTime: 30,
      },
    });
    // The answer describes the state before the request: wait for the connect task.
    const deadline = Date.now() + (options.timeoutMs ?? this.#transport.unreachableTimeoutMs);
    for (;;) {
      const status = await this.status();
      if (status.connected) {
        this.#identity = undefined;
        return status;
      }
      const tasks = (await this.#transport.call('GET', '/api/v1/tasks', tasksResponseSchema)).tasks ?? [];
      const failed = tasks.find((task) => !before.has(task.id) && task.kind === 'Repository' && (task.status === 'FAILED' || task.status === 'CANCELED'));
      if (failed !== undefined) {
        throw new KopiaError(`the Kopia server could not connect to ${options.url}: ${failed.errorMessage ?? failed.status.toLowerCase()}`, { code: 'CONNECT_FAILED' });
      }
      if (Date.now() > deadline) throw new KopiaError(`the Kopia server did not finish connecting to ${options.url} in time`, { code: 'CONNECT_FAILED' });
      await sleep(this.#transport.pollIntervalMs);
    }
  }

  /** The user@host the server snapshots under (from its repository connection, not from us). */
  async identity(): Promise<{ userName: string; host: string }> {
    if (this.#identity === undefined) {
      const sources = await this.#transport.call('GET', '/api/v1/sources', sourcesResponseSchema);
      this.#identity = { userName: sources.localUsername, host: sources.localHost };
    }
    return this.#identity;
  }

  async source(path: string): Promise<SourceInfo> {
    const { userName, host } = await this.identity();
    return { userName, host, path: normalizePath(path) };
  }

  /** The policy defined for `path` itself, or undefined when it inherits everything. */
  async definedPolicy(path: string): Promise<Policy | undefined> {
    const source = await this.source(path);
    try {
      return await this.#transport.call('GET', '/api/v1/policy', policySchema, { query: sourceQuery(source) });
    } catch (error) {
      if (error instanceof KopiaError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** Replaces the policy defined for `path` (GET–modify–PUT is the caller's job). */
  async replacePolicy(path: string, policy: Policy): Promise<void> {
    const source = await this.source(path);
    await this.#transport.call('PUT', '/api/v1/policy', emptySchema, { query: sourceQuery(source), body: policy });
  }

  /**
   * Makes sure the server knows `path` as a source with our retention and compression settings.
   * Read-modify-write: every other setting the user made on that path's policy is kept, and only
   * the keys we set are replaced.
   */
  async ensureSource(path: string, settings: { retention?: RetentionPolicy; compressorName?: string } = {}): Promise<SourceInfo> {
    const source = await this.source(path);
    const existing = (await this.definedPolicy(path)) ?? {};
    const policy: Policy = { ...existing };
    if (settings.retention !== undefined) policy.retention = { ...existing.retention, ...settings.retention };
    if (settings.compressorName !== undefined) policy.compression = { ...existing.compression, compressorName: settings.compressorName };
    const known = await this.#transport.call('GET', '/api/v1/sources', sourcesResponseSchema, { query: sourceQuery(source) });
    if (known.sources.some((s) => s.source.path === source.path)) {
      await this.replacePolicy(path, policy);
    } else {
      // POST /sources replaces the path's policy: it gets the merged one.
      await this.#transport.call('POST', '/api/v1/sources', emptySchema, { body: { path: source.path, createSnapshot: false, policy }, retry: false });
    }
    return source;
  }

  /**
   * Snapshots `path` and waits for the result. Fails when the snapshot task failed, when it
   * finished with file errors, or when the server stopped answering for too long.
   */
  async snapshot(path: string, options: { onProgress?: (progress: Progress) => void; signal?: AbortSignal } = {}): Promise<SnapshotResult> {
    const source = await this.source(path);
    const query = sourceQuery(source);
    const prefix = `${source.userName}@${source.host}:${source.path} at `;
    const tasksBefore = (await this.#transport.call('GET', '/api/v1/tasks', tasksResponseSchema)).tasks ?? [];
    const knownTasks = new Set(tasksBefore.map((task) => task.id));
    const triggeredAt = Date.now();
    // Not retried: a repeated trigger could queue a second snapshot.
    await this.#transport.call('POST', '/api/v1/sources/upload', emptySchema, { query, body: {}, retry: false }).catch((error: unknown) => {
      if (error instanceof KopiaError && error.code === 'NOT_FOUND') {
        throw new KopiaError(`the Kopia server does not know ${source.path} as a source (call ensureSource first)`, { code: 'NOT_FOUND', cause: error });
      }
      throw error;
    });

    // The server runs one snapshot of a source at a time: ours starts once one still running (left
    // by a killed run, or started in the Kopia UI) is done, however long that takes.
    for (const running of tasksBefore.filter((t) => t.kind === 'Snapshot' && t.status === 'RUNNING' && t.description.startsWith(prefix))) {
      await this.#transport.waitForTask(running.id, options.signal, () => undefined, `the snapshot of ${source.path} already running (task ${running.id}), which ours waits for,`);
    }
    const task = await this.#transport.waitFor(async () => {
      const tasks = (await this.#transport.call('GET', '/api/v1/tasks', tasksResponseSchema)).tasks ?? [];
      return tasks.find((t) => t.kind === 'Snapshot' && !knownTasks.has(t.id) && t.description.startsWith(prefix));
    }, options.signal, `the snapshot of ${source.path} did not start`, { giveUpAfterMs: this.#transport.unreachableTimeoutMs });
    const finished = await this.#transport.waitForTask(task.id, options.signal, (running) => {
      options.onProgress?.({
        files: counter(running, 'Processed Files') || counter(running, 'Hashed Files') + counter(running, 'Cached Files'),
        bytes: counter(running, 'Processed Bytes') || counter(running, 'Hashed Bytes') + counter(running, 'Cached Bytes'),
        uploadedBytes: counter(running, 'Uploaded Bytes'),
      });
    }, `the snapshot of ${source.path}`).catch(async (error: unknown) => {
      // Stopped (SIGTERM, the snapshot timeout): the server would go on uploading for a run that
      // is over, and the next run's snapshot of the same source would queue behind it.
      if (options.signal?.aborted || this.#transport.stopping) await this.#cancelStoppedTask(task.id);
      throw error;
    });
    if (finished.status !== 'SUCCESS') {
      throw new KopiaError(`the snapshot of ${source.path} ${finished.status.toLowerCase()}: ${finished.errorMessage ?? 'no reason given'}`);
    }

    const saved = await this.#snapshotSavedBy(finished, path, triggeredAt, options.signal);
    if (saved === undefined) throw new KopiaError(`the snapshot of ${source.path} finished but no snapshot was saved`);
    // The task's counter and the snapshot's summary count the same failed files.
    const failed = Math.max(counter(finished, 'Errors'), saved.summary?.numFailed ?? 0);
    // A policy that ignores file errors still leaves those files out: not a complete snapshot either.
    const ignored = saved.summary?.numIgnoredErrors ?? 0;
    const errors = failed + ignored;
    if (errors > 0 || saved.incomplete !== undefined) {
      const first = saved.summary?.errors?.[0];
      const counts = [
        ...(failed > 0 || ignored === 0 ? [`had ${failed} error(s)`] : []),
        ...(ignored > 0 ? [`${failed > 0 ? 'and ' : 'had '}${ignored} error(s) its Kopia policy ignores (those files are not in it)`] : []),
      ].join(' ');
      throw new KopiaError(
        `the snapshot of ${source.path} ${saved.incomplete === undefined ? '' : `is incomplete (${saved.incomplete}) and `}${counts}${
          first === undefined ? '' : `, first: ${first.path ?? ''}: ${first.error ?? ''}`
        }`,
      );
    }
    return {
      snapshotId: saved.id,
      rootId: saved.rootID,
      source,
      startTime: saved.startTime,
      endTime: saved.endTime,
      stats: {
        files: saved.summary?.files ?? counter(finished, 'Processed Files'),
        bytes: saved.summary?.size ?? counter(finished, 'Processed Bytes'),
        uploadedBytes: counter(finished, 'Uploaded Bytes'),
        hashedBytes: counter(finished, 'Hashed Bytes'),
        cachedBytes: counter(finished, 'Cached Bytes'),
        errors,
      },
    };
  }

  /**
   * The snapshot that `task` saved: the first one of the source that started while the task ran.
   * The newest one is not it when another snapshot of the source overlapped ours (one left running
   * by a killed run, one started in the Kopia UI): ours was queued behind it, and whichever of the
   * two is listed last would be taken by both, claiming content of another moment. The times are
   * the server's own, so no clock difference between us and the server matters. A saved snapshot
   * can be listed a moment after its task is reported done: looked for again for a few seconds.
   */
  async #snapshotSavedBy(task: Task, path: string, triggeredAt: number, signal: AbortSignal | undefined): Promise<Snapshot | undefined> {
    // A server that does not report the task's times: a snapshot started around our request.
    const from = task.startTime === undefined ? triggeredAt - 5_000 : Date.parse(task.startTime);
    const until = task.endTime === undefined ? Number.POSITIVE_INFINITY : Date.parse(task.endTime);
    const deadline = Date.now() + snapshotListedWithinMs;
    for (;;) {
      const saved = (await this.listSnapshots(path))
        .filter((snapshot) => Date.parse(snapshot.startTime) >= from && Date.parse(snapshot.startTime) <= until)
        .sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime))[0];
      if (saved !== undefined || Date.now() >= deadline) return saved;
      await sleep(this.#transport.pollIntervalMs, undefined, signal === undefined ? undefined : { signal });
    }
  }

  /**
   * The newest complete snapshot of `path`. A snapshot stopped half-way (cancelled, or cut short)
   * is saved too, marked incomplete, without the files it had not reached: it is no backup of the
   * source, however new. `passedOver`: the newer incomplete ones, oldest first.
   */
  async newestCompleteSnapshot(path: string): Promise<{ snapshot: Snapshot | undefined; passedOver: Snapshot[] }> {
    const snapshots = await this.listSnapshots(path);
    const index = snapshots.findLastIndex((snapshot) => snapshot.incomplete === undefined);
    return { snapshot: snapshots[index], passedOver: snapshots.slice(index + 1) };
  }

  /** Every snapshot of `path`, oldest first (identical ones included). */
  async listSnapshots(path: string): Promise<Snapshot[]> {
    const source = await this.source(path);
    const response = await this.#transport.call('GET', '/api/v1/snapshots', snapshotsResponseSchema, { query: { ...sourceQuery(source), all: '1' } });
    return response.snapshots ?? [];
  }

  /**
   * Sets a snapshot's description (the API cannot set tags). Kopia rewrites the manifest, so the
   * snapshot's id changes: the new id is returned.
   */
  async setDescription(snapshotId: string, description: string): Promise<string> {
    const edited = await this.#transport.call('POST', '/api/v1/snapshots/edit', snapshotSchema.array(), { body: { snapshots: [snapshotId], description } });
    const first = edited[0];
    if (first === undefined) throw new KopiaError(`the Kopia server did not return the edited snapshot ${snapshotId}`);
    return first.id;
  }

  async deleteSnapshots(path: string, snapshotIds: string[]): Promise<void> {
    const source = await this.source(path);
    await this.#transport.call('POST', '/api/v1/snapshots/delete', emptySchema, {
      body: { source, snapshotManifestIds: snapshotIds, deleteSourceAndPolicy: false },
    });
  }

  /**
   * Lists a directory inside a snapshot (by snapshot root object id), `subPath` relative to the
   * snapshot root. Returns undefined when the directory does not exist.
   */
  async listDirectory(rootId: string, subPath = ''): Promise<DirEntry[] | undefined> {
    let objectId = rootId;
    for (const part of subPath.split('/').filter((p) => p !== '' && p !== '.')) {
      const entries = await this.#directory(objectId);
      const next = entries.find((entry) => entry.name === part && entry.type === 'd');
      if (next === undefined) return undefined;
      objectId = next.obj;
    }
    return this.#directory(objectId);
  }

  async #directory(objectId: string): Promise<DirEntry[]> {
    const directory = await this.#transport.call('GET', `/api/v1/objects/${encodeURIComponent(objectId)}`, directorySchema);
    return directory.entries ?? [];
  }

  /**
   * Copies a snapshot's tree (from its root object id) into `targetPath` on *this* machine, through
   * the API (GET /api/v1/objects): the files are written by this process, so they are its own
   * (folders 0700, files 0600: dumps and .env are secrets), whoever the Kopia server runs as. Meant
   * for the small backups snapshot; each file is written as `.partial` and renamed when complete.
   */
  async downloadTree(
    rootId: string,
    targetPath: string,
    options: { overwrite?: boolean; signal?: AbortSignal; onProgress?: (progress: Progress) => void } = {},
  ): Promise<RestoreResult> {
    const result: RestoreResult = { files: 0, directories: 0, bytes: 0, errors: 0 };
    // Bytes of the file being copied count too: a dump is most of the backups folder, and takes minutes.
    const progress = (bytesOfCurrentFile: number) => options.onProgress?.({ files: result.files, bytes: result.bytes + bytesOfCurrentFile });
    const walk = async (objectId: string, directory: string): Promise<void> => {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      result.directories += 1;
      for (const entry of await this.#directory(objectId)) {
        options.signal?.throwIfAborted();
        if (entry.name === '' || entry.name === '.' || entry.name === '..' || entry.name.includes('/')) {
          throw new KopiaError(`the snapshot has an entry named ${JSON.stringify(entry.name)}: refusing to write it`);
        }
        const path = join(directory, entry.name);
        if (entry.type === 'd') {
          await walk(entry.obj, path);
        } else if (entry.type === 'f') {
          const bytes = await this.#download(entry.obj, path, options.overwrite ?? false, options.signal, progress);
          if (bytes !== (entry.size ?? 0)) throw new KopiaError(`${path}: got ${bytes} bytes from the Kopia server, the snapshot says ${entry.size ?? 0}`);
          result.files += 1;
          result.bytes += bytes;
          progress(0);
        }
      }
    };
    await walk(rootId, targetPath);
    return result;
  }

  async #download(objectId: string, path: string, overwrite: boolean, signal: AbortSignal | undefined, onBytes: (bytes: number) => void): Promise<number> {
    const partial = `${path}.partial`;
    try {
      const content = await this.#transport.stream(`/api/v1/objects/${encodeURIComponent(objectId)}`, signal);
      let bytes = 0;
      content.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        onBytes(bytes);
      });
      await pipeline(content, createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
      // On disk before it gets its name, as the dump and Immich's copy: a restored file is whole or absent.
      await fsyncFile(partial);
      if (overwrite) {
        await rename(partial, path);
      } else {
        // rename() would replace an existing file; link() refuses (EEXIST), as Kopia's own restore does.
        await link(partial, path);
        await rm(partial);
      }
      await fsyncDirectory(dirname(path));
      return bytes;
    } catch (error) {
      await rm(partial, { force: true }).catch(() => undefined);
      if (error instanceof KopiaError) throw error;
      throw new KopiaError(`could not copy ${path} from the Kopia server: ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * Restores a snapshot (or one sub-folder of it) into `targetPath` on the server's filesystem and
   * waits. Existing files are not overwritten unless `overwrite` is set.
   */
  async restore(options: {
    snapshotId: string;
    subPath?: string;
    targetPath: string;
    overwrite?: boolean;
    onProgress?: (progress: Progress) => void;
    signal?: AbortSignal;
  }): Promise<RestoreResult> {
    const sub = (options.subPath ?? '').split('/').filter((p) => p !== '' && p !== '.').join('/');
    const overwrite = options.overwrite ?? false;
    const task = await this.#transport.call('POST', '/api/v1/restore', taskSchema, {
      retry: false,
      body: {
        root: sub === '' ? options.snapshotId : `${options.snapshotId}/${sub}`,
        fsOutput: {
          targetPath: options.targetPath,
          overwriteDirectories: overwrite,
          overwriteFiles: overwrite,
          overwriteSymlinks: overwrite,
          ignorePermissionErrors: true,
          // Into an empty folder, in place: atomically, Kopia writes each file under its name plus up to
          // 10 digits first, and a name of more than 245 bytes (a long upload name; 255 is the limit)
          // failed the whole restore with 'file name too long'; one stopped part-way is reported
          // INCOMPLETE. Over what is there (overwrite), atomically: in place, a file was written through
          // what held its name, a hard link's other copy (cp -al, rsnapshot) or a symbolic link's
          // target outside the folder, where a rename replaces the name only.
          writeFilesAtomically: overwrite,
          skipOwners: false,
          skipPermissions: false,
          skipTimes: false,
        },
        // Without this Kopia writes shallow `.kopia-entry` placeholders instead of the files.
        options: { parallel: 0, incremental: false, deleteExtra: false, ignoreErrors: false, restoreDirEntryAtDepth: restoreAllDepths },
      },
    });
    const finished = await this.#transport.waitForTask(
      task.id,
      options.signal,
      (running) => options.onProgress?.({ files: counter(running, 'Restored Files'), bytes: counter(running, 'Restored Bytes') }),
      `the restore into ${options.targetPath}`,
    ).catch(async (error: unknown) => {
      // Stopped (Ctrl-C, docker stop): the server would go on writing into the target for a restore
      // nobody waits for any more, alongside the one the user starts next.
      if (options.signal?.aborted || this.#transport.stopping) await this.#cancelStoppedTask(task.id);
      throw error;
    });
    if (finished.status !== 'SUCCESS') {
      throw new KopiaError(`the restore into ${options.targetPath} ${finished.status.toLowerCase()}: ${finished.errorMessage ?? 'no reason given'}`);
    }
    return {
      files: counter(finished, 'Restored Files'),
      directories: counter(finished, 'Restored Directories'),
      bytes: counter(finished, 'Restored Bytes'),
      errors: counter(finished, 'Ignored Errors'),
    };
  }

  /**
   * Counts the files under `path` as the Kopia server sees it (an Estimate task), stopping as soon
   * as `atLeast` are found: a cheap check, before a snapshot, that a folder is not empty or far
   * emptier than expected. Undefined when the server cannot estimate.
   */
  async countFiles(path: string, atLeast: number, signal?: AbortSignal): Promise<{ files: number; complete: boolean } | undefined> {
    let task: Task;
    try {
      task = await this.#transport.call('POST', '/api/v1/estimate', taskSchema, { body: { root: path, maxExamplesPerBucket: 0 }, retry: false });
    } catch (error) {
      if (error instanceof KopiaError && error.code === 'UNREACHABLE') throw error;
      return undefined;
    }
    let enough = false;
    const finished = await this.#transport.waitForTask(task.id, signal, (running) => {
      if (!enough && counter(running, 'Files') >= atLeast) {
        enough = true;
        void this.#transport.call('POST', `/api/v1/tasks/${encodeURIComponent(task.id)}/cancel`, emptySchema, { body: {}, retry: false }).catch(() => undefined);
      }
    }, `counting the files of ${path}`);
    const files = counter(finished, 'Files');
    if (finished.status === 'SUCCESS') return { files, complete: true };
    if (enough || files >= atLeast) return { files, complete: false };
    return undefined;
  }
}

function sourceQuery(source: SourceInfo): Record<string, string> {
  return { userName: source.userName, host: source.host, path: source.path };
}

function normalizePath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function counter(task: Task, name: string): number {
  return task.counters?.[name]?.value ?? 0;
}

export { KopiaError };
export type { DirEntry, Policy, RetentionPolicy, Snapshot, SourceInfo };
