import { KopiaClient, type Progress } from '../kopia/client.ts';
import type { KopiaConnection } from '../config.ts';
import type { Logger } from '../log.ts';
import { throttleProgress } from '../progress.ts';
import type { KopiaBackupClient } from './steps/kopia.ts';
import type { SnapshotRef } from '../report.ts';

/** The run's view of Kopia (src/backup/steps/kopia.ts), implemented with the REST client of src/kopia. */
/** `signal`: the program is stopping (SIGTERM); every request to the Kopia server is cut. */
export function createKopiaBackupClient(connection: KopiaConnection, log: Logger, signal?: AbortSignal): KopiaBackupClient {
  const client = new KopiaClient(connection, signal === undefined ? {} : { signal });
  const sourceName = async (path: string) => {
    const source = await client.source(path);
    return `${source.userName}@${source.host}:${source.path}`;
  };
  return {
    status: () => client.status(),
    taskProblem: (taskId) => client.taskProblem(taskId),
    async createDefaultRepository(path, password) {
      const outcome = await client.createFilesystemRepositoryIfMissing(path, password);
      log.info({ path, outcome }, 'Kopia default filesystem repository ready');
      return outcome;
    },
    async snapshotIds(paths) {
      const ids = new Set<string>();
      for (const path of paths) for (const snapshot of await client.listSnapshots(path)) ids.add(snapshot.id);
      return ids;
    },
    async ensureRetention(path, retention) {
      await client.ensureSource(path, { retention });
    },
    async snapshot(path, { description, signal, timeoutMs, onProgress }) {
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
      const logProgress = throttleProgress(30_000, (progress: Progress) => log.info({ path, ...progress }, 'Kopia snapshot progress'), { immediateFirst: true });
      const result = await client.snapshot(path, {
        signal: deadline,
        onProgress: (progress) => {
          onProgress({ ...progress });
          logProgress(progress);
        },
      });
      // Tags cannot be set through the API; the description names the run (and changes the id).
      const id = await client.setDescription(result.snapshotId, description);
      const ref: SnapshotRef = {
        id,
        source: `${result.source.userName}@${result.source.host}:${result.source.path}`,
        startTime: result.startTime,
        totalSize: result.stats.bytes,
        fileCount: result.stats.files,
      };
      if (result.endTime !== undefined) ref.endTime = result.endTime;
      return ref;
    },
    async countFiles(path, atLeast, signal) {
      return client.countFiles(path, atLeast, signal);
    },
    async listSnapshots(path) {
      const source = await sourceName(path);
      const snapshots = await client.listSnapshots(path);
      return snapshots.reverse().map((snapshot) => {
        const ref: SnapshotRef & { description?: string } = {
          id: snapshot.id,
          source,
          startTime: snapshot.startTime,
          description: snapshot.description,
        };
        if (snapshot.endTime !== undefined) ref.endTime = snapshot.endTime;
        if (snapshot.summary?.size !== undefined) ref.totalSize = snapshot.summary.size;
        if (snapshot.summary?.files !== undefined) ref.fileCount = snapshot.summary.files;
        return ref;
      });
    },
  };
}
