import { constants } from 'node:fs';
import { access, chown, lchown, lstat, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { loadKopiaRestoreConfig } from '../config.ts';
import { KopiaClient, type Progress } from '../kopia/client.ts';
import { ExitCode, UserError, errorMessage } from '../errors.ts';
import { formatBytes } from '../format.ts';
import { immichFolders } from '../immich/folders.ts';
import { throttleProgress } from '../progress.ts';
import { booleanOption, stringOption, type Command } from './command.ts';

const command: Command = {
  name: 'restore-library',
  summary: 'Restore the photo library (or one folder of it) from a Kopia snapshot, through the Kopia server.',
  help: [
    '--snapshot latest|ID   the snapshot of KOPIA_LIBRARY_PATH (default latest: the newest complete one, not one',
    '                       stopped half-way): its manifest id (as in the',
    '                       notifications, `kopia snapshot list -m`) or its root object id (`kopia snapshot list`)',
    '--target DIR           where to restore, as the Kopia server sees it (it writes the files)',
    '--path SUBPATH         only this folder of the library, e.g. library/<storage label, or user id without one>',
    '--chown UID:GID        give the restored files to this owner (DIR must be visible and writable here too, e.g.',
    '                       with compose.restore.yml, and this command must run as root: docker compose exec -u 0).',
    '                       Checked before anything is restored. Without it files get their owners from the snapshot.',
    '--force                restore into a non-empty DIR, overwriting what is there',
    '--source backups       restore the snapshot of the backup folder (KOPIA_BACKUPS_PATH: dumps, manifests',
    '                       and config) instead of the library, e.g. when the local backups are lost. These',
    '                       files are copied by this command itself into DIR as seen *here* (e.g. under',
    '                       /backups), owned by this user, so that restore-db can read them.',
    'Immich checks a hidden .immich file in each top folder (library, upload, thumbs, encoded-video,',
    'profile, backups): a whole-library restore brings them back; a one-folder restore does not.',
  ].join('\n'),
  options: {
    snapshot: { type: 'string' },
    target: { type: 'string' },
    path: { type: 'string' },
    chown: { type: 'string' },
    force: { type: 'boolean' },
    source: { type: 'string' },
  },
  async run({ values }, { env, log, stdout, signal }) {
    const target = stringOption(values, 'target');
    if (target === undefined) throw new UserError('--target DIR is required', { exitCode: ExitCode.usage });
    const owner = parseOwner(stringOption(values, 'chown'));
    const subPath = stringOption(values, 'path') ?? '';
    const force = booleanOption(values, 'force');
    const source = stringOption(values, 'source') ?? 'library';
    if (source !== 'library' && source !== 'backups') throw new UserError('--source is library or backups', { exitCode: ExitCode.usage });
    // The Kopia server writes the library: a relative path would be resolved in its own working
    // folder, inside its container, where the files are lost with the container.
    if (source === 'library' && !isAbsolute(target)) {
      throw new UserError(`--target ${target}: give the full path as the Kopia server sees it (e.g. /library): nothing was restored`, { exitCode: ExitCode.usage });
    }
    if (!force && (await isNonEmptyDirectory(target))) {
      throw new UserError(`${target} is not empty: nothing was restored (use --force to restore over it)`);
    }
    // Before anything is written: a --chown that cannot work must not fail after a long restore.
    if (owner !== undefined && source === 'library') await checkChownPossible(target, owner);
    const config = loadKopiaRestoreConfig(env);
    const snapshottedPath = source === 'library' ? config.libraryPath : config.backupsPath;
    const client = new KopiaClient(config.connection);
    try {
      const wanted = stringOption(values, 'snapshot') ?? 'latest';
      const snapshots = await client.listSnapshots(snapshottedPath);
      // "latest" is the newest complete one: a snapshot stopped half-way (a run stopped during its
      // Kopia step) is newer, but lacks every file it had not reached.
      const newest = wanted === 'latest' ? await client.newestCompleteSnapshot(snapshottedPath) : undefined;
      // `kopia snapshot list` prints root object ids (k…), `-m` and our notifications manifest ids:
      // both name a snapshot; the newest one with that root if several share it.
      const snapshot = newest !== undefined ? newest.snapshot : (snapshots.find((s) => s.id === wanted) ?? snapshots.findLast((s) => s.rootID === wanted));
      if (snapshot === undefined) {
        const incomplete = newest?.passedOver.length ?? 0;
        throw new UserError(
          wanted !== 'latest'
            ? `no snapshot ${wanted} of ${snapshottedPath}`
            : incomplete > 0
              ? `there is no complete snapshot of ${snapshottedPath} yet, only ${incomplete} incomplete one(s): give one's id with --snapshot to restore what it holds`
              : `there is no snapshot of ${snapshottedPath} yet`,
          { exitCode: 2 },
        );
      }
      // A run snapshots the backups, then the library: a newer backups snapshot means a later run's
      // library snapshot is missing, and the newest dump references photos this one does not have.
      const newerBackups =
        source === 'library' && wanted === 'latest'
          ? (await client.newestCompleteSnapshot(config.backupsPath).catch(() => undefined))?.snapshot
          : undefined;
      const notes = [
        ...(newerBackups !== undefined && Date.parse(newerBackups.startTime) > Date.parse(snapshot.startTime)
          ? [
              `note: the newest snapshot of the backups (${newerBackups.startTime}) is newer than this library snapshot (${snapshot.startTime}): a database restored from it may reference photos this library snapshot does not have; restore the dump of the run this snapshot belongs to, or accept missing files`,
            ]
          : []),
        ...(newest?.passedOver ?? []).map((s) => `note: the newer snapshot ${s.id} (${s.startTime}) is incomplete (${s.incomplete}): skipped`),
        ...(snapshot.incomplete === undefined ? [] : [`warning: snapshot ${snapshot.id} is incomplete (${snapshot.incomplete}): files it had not reached are not in it`]),
      ];
      for (const note of notes) log.warn({ snapshot: snapshot.id }, note);
      if (subPath !== '' && (await client.listDirectory(snapshot.rootID, subPath)) === undefined) {
        throw new UserError(`snapshot ${snapshot.id} has no folder ${subPath}${await foldersBeside(client, snapshot.rootID, subPath)}`, { exitCode: 2 });
      }
      log.info({ snapshot: snapshot.id, startTime: snapshot.startTime, subPath, target, source }, 'restore started');
      const logProgress = throttleProgress(10_000, (progress: Progress) => log.info(progress, `${source} restore progress`), { immediateFirst: true });
      const result = await (source === 'backups' ? client.downloadTree(
        subPath === '' ? snapshot.rootID : (await resolveFolder(client, snapshot.rootID, subPath)),
        target,
        { overwrite: force, signal, onProgress: logProgress },
      ) : client.restore({
        snapshotId: snapshot.id,
        subPath,
        targetPath: target,
        overwrite: force,
        signal,
        onProgress: logProgress,
      })).catch((error: unknown) => {
        // What is left in the target is what matters to whoever stopped it, not "aborted".
        if (signal?.aborted === true) {
          throw new UserError(`${errorMessage(signal.reason)}: the restore into ${target} was cancelled; what it had written so far is there, INCOMPLETE (restore again with --force to complete it)`, { cause: error });
        }
        // The normal layout mounts the upload location read-only in the kopia service: nothing was written.
        if (/read-only file system/i.test(errorMessage(error))) {
          throw new UserError(
            `${errorMessage(error)}: the Kopia server sees ${target} read-only: nothing could be written there. Restore with compose.restore.yml, which mounts Immich's upload location read-write in the kopia service (see README, Restore)`,
            { cause: error, exitCode: error instanceof UserError ? error.exitCode : 1 },
          );
        }
        // Over what is there, Kopia writes each file under a temporary name 10 bytes longer first (see KopiaClient.restore).
        const advice =
          force && /file name too long/i.test(errorMessage(error))
            ? 'a file name near the 255-byte limit cannot be restored with --force, as each file is then written under a longer temporary name first: restore into an empty folder (without --force)'
            : 'fix the cause, then restore again with --force';
        // A disk that filled up, a server that died: part of the files may be there, and must not pass for a restore.
        throw new UserError(`${errorMessage(error)}; ${target} may hold part of the snapshot: it is INCOMPLETE (${advice})`, {
          cause: error,
          exitCode: error instanceof UserError ? error.exitCode : 1,
        });
      });
      if (owner !== undefined) await chownTree(target, owner.uid, owner.gid);
      if (source === 'backups') {
        stdout.write(`restored ${result.files} files (${formatBytes(result.bytes)}) from snapshot ${snapshot.id} (${snapshot.startTime}) into ${target}; next: immich-backup restore-db --input ${target}/<run folder>/dump.sql.gz\n`);
        for (const note of notes) stdout.write(`${note}\n`);
        return ExitCode.ok;
      }
      stdout.write(
        `restored ${result.files} files (${formatBytes(result.bytes)}) in ${result.directories} folders from snapshot ${snapshot.id} (${snapshot.startTime}) into ${target}\n`,
      );
      for (const note of notes) stdout.write(`${note}\n`);
      // Kopia restores into what is there: nothing is deleted (deleteExtra is off, as Kopia's own default).
      if (force) {
        stdout.write(
          `note: --force: files of the snapshot replaced those of the same name in ${target}; files it does not have (added after it) were left there, unknown to a database restored from the same night\n`,
        );
      }
      if (source === 'library') {
        for (const line of await markerNotes(client, snapshot.rootID, subPath)) stdout.write(`${line}\n`);
        if (owner === undefined) {
          const ownersWarning = await restoredOwnersWarning(client, snapshot.rootID, subPath, target);
          if (ownersWarning !== undefined) stdout.write(`${ownersWarning}\n`);
        }
      }
      return ExitCode.ok;
    } finally {
      await client.close();
    }
  },
};


/**
 * What the restore means for Immich's `.immich` markers: a whole restore brings them back only if
 * the snapshot has them; a restore of one folder below a top folder never includes its marker.
 */
async function markerNotes(client: KopiaClient, rootId: string, subPath: string): Promise<string[]> {
  const parts = subPath.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length > 1) {
    return [
      `note: only ${parts.join('/')} was restored, without ${parts[0]}/.immich (the marker Immich checks at start): restoring into the live upload location keeps the one there; into a new location, restore the whole library or create it (touch ${parts[0]}/.immich)`,
    ];
  }
  const notes: string[] = [];
  const top = parts.length === 1 ? [parts[0]!] : immichFolders;
  for (const folder of top) {
    const entries = await client.listDirectory(rootId, folder);
    if (entries === undefined) {
      // A whole restore without one of Immich's six folders gives an Immich that refuses to start.
      if (parts.length === 0) notes.push(`warning: the snapshot has no folder ${folder}/: Immich checks ${folder}/.immich at start; create it (mkdir ${folder} && touch ${folder}/.immich) before starting Immich`);
      continue;
    }
    if (!entries.some((entry) => entry.name === '.immich')) {
      notes.push(`warning: the snapshot has no ${folder}/.immich: Immich refuses to start without it; create it (touch ${folder}/.immich) before starting Immich`);
    }
  }
  return notes;
}

/** Entries of the restored folder whose owners are compared with the snapshot's. */
const checkedOwners = 50;

/**
 * A Kopia server that may not change owners (run as a user, or without CAP_CHOWN) restores every
 * file as its own and reports success: the restore ignores permission errors, so as not to fail on
 * them. Where this command sees the target (compose.restore.yml), the first entries restored are
 * compared with the snapshot's owners.
 */
async function restoredOwnersWarning(client: KopiaClient, rootId: string, subPath: string, target: string): Promise<string | undefined> {
  const entries = (await client.listDirectory(rootId, subPath)) ?? [];
  let checked = 0;
  const differing: string[] = [];
  const wanted = new Set<string>();
  for (const entry of entries.slice(0, checkedOwners)) {
    const info = await lstat(join(target, entry.name)).catch(() => undefined);
    if (info === undefined) continue;
    checked += 1;
    const [uid, gid] = [entry.uid ?? 0, entry.gid ?? 0];
    if (info.uid === uid && info.gid === gid) continue;
    differing.push(`${entry.name}: ${info.uid}:${info.gid}, in the snapshot ${uid}:${gid}`);
    wanted.add(`${uid}:${gid}`);
  }
  if (differing.length === 0) return undefined;
  const fix = wanted.size === 1 ? `restore again with --force --chown ${[...wanted][0]!} (as root: docker compose exec -u 0 …)` : 'give them their owners (--chown UID:GID)';
  return `warning: the Kopia server could not give the restored files their owners (${differing.length} of ${checked} checked differ, e.g. ${differing[0]!}): it does not run as root or lacks CAP_CHOWN; Immich may not read them: ${fix}`;
}

/** Folders shown when --path names none: a user's folder is named by storage label or by id, and which one is not obvious. */
const shownFolders = 20;

/** The folders the snapshot has where `subPath` was looked for, to pick the right name from. */
async function foldersBeside(client: KopiaClient, rootId: string, subPath: string): Promise<string> {
  const parts = subPath.split('/').filter((part) => part !== '' && part !== '.');
  const parent = parts.slice(0, -1).join('/');
  const names = (await client.listDirectory(rootId, parent))?.filter((entry) => entry.type === 'd').map((entry) => entry.name) ?? [];
  if (names.length === 0) return '';
  const listed = names.slice(0, shownFolders).join(', ') + (names.length > shownFolders ? `, and ${names.length - shownFolders} more` : '');
  const naming = parts[0] === 'library' && parts.length === 2 ? " (Immich names a user's folder there by storage label when one is set, else by user id)" : '';
  return `; ${parent === '' ? 'its top' : parent} has the folders: ${listed}${naming}`;
}

async function resolveFolder(client: KopiaClient, rootId: string, subPath: string): Promise<string> {
  const parts = subPath.split('/').filter((part) => part !== '' && part !== '.');
  const name = parts.pop()!;
  const entries = await client.listDirectory(rootId, parts.join('/'));
  const entry = entries?.find((candidate) => candidate.name === name && candidate.type === 'd');
  if (entry === undefined) throw new UserError(`the snapshot has no folder ${subPath}`, { exitCode: 2 });
  return entry.obj;
}

/**
 * --chown works only where this process sees the restored files and may change their owner: the
 * target (or the folder it will be created in) must be here and writable, and changing an owner to
 * someone else needs root.
 */
async function checkChownPossible(target: string, owner: { uid: number; gid: number }): Promise<void> {
  let existing = target;
  for (;;) {
    try {
      await stat(existing);
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  try {
    await access(existing, constants.W_OK);
  } catch {
    throw new UserError(
      `--chown: ${target} is not writable from here (${existing} is read-only or absent): nothing was restored. Restore with compose.restore.yml, which mounts Immich's upload location read-write here and in the kopia service`,
    );
  }
  const self = process.getuid?.();
  if (self !== 0 && self !== owner.uid) {
    throw new UserError(`--chown ${owner.uid}:${owner.gid}: only root may give files to another user (this runs as uid ${self}): nothing was restored. Run it as root: docker compose exec -u 0 immich-backup immich-backup restore-library …`);
  }
}

function parseOwner(text: string | undefined): { uid: number; gid: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+):(\d+)$/.exec(text);
  if (match === null) throw new UserError('--chown takes UID:GID, e.g. 1000:1000', { exitCode: ExitCode.usage });
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

async function isNonEmptyDirectory(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0;
  } catch {
    // Not visible from here (it is on the Kopia server's side) or missing: Kopia itself refuses to overwrite.
    return false;
  }
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  try {
    await stat(path);
  } catch {
    throw new UserError(`--chown: ${path} is not visible from this container; change the owner where the files are`);
  }
  await chown(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    // The link itself: chown() would follow it to what it points at, outside the restore too (as
    // root), and fail the restore on a link whose target is gone.
    else await lchown(child, uid, gid);
  }
}

export default command;
