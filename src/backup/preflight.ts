import { constants } from 'node:fs';
import { access, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SidecarConfig } from '../config.ts';
import { errorMessage } from '../errors.ts';

/**
 * Start-up checks of `serve`, `backup` and `status`: the things a fresh install gets wrong (folder
 * owners, missing mounts, the Kopia service). Each failure says what is wrong and how to fix it,
 * and makes /healthz and `status` unhealthy, instead of a run failing at night with a bare EACCES.
 */
export type CheckName = 'backups-folder' | 'library' | 'config-files' | 'kopia';

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** What was found; for a failure, what is wrong and how to fix it. */
  message: string;
}

/** The user this process runs as, e.g. "1000:1000" (the image's `node` user). */
export function processIdentity(): string {
  return `${process.getuid?.() ?? '?'}:${process.getgid?.() ?? '?'}`;
}

function mode(value: number): string {
  return `0${(value & 0o777).toString(8)}`;
}

async function ownerOf(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  return info === undefined ? 'unknown' : `${info.uid}:${info.gid} (mode ${mode(info.mode)})`;
}

/**
 * One sentence on why `path` cannot be used and what fixes it, from the error of the attempt.
 * `fix` is the advice for a permission problem (it differs for the backups folder and the library).
 */
export async function describeAccessProblem(path: string, error: unknown, what: string, fix: string): Promise<string> {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `${what} \`${path}\` does not exist in the container: ${fix}`;
    case 'EACCES':
    case 'EPERM':
      return `${what} \`${path}\` is owned by ${await ownerOf(path)} and this container runs as ${processIdentity()}: ${fix}`;
    case 'EROFS':
      return `${what} \`${path}\` is on a read-only mount: remove \`:ro\` from its volume line`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `${what} \`${path}\` cannot be used: no space left on the device (${code}): free some space there or give it a bigger disk; retention deletes old backups only after a run that succeeded`;
    case 'EISDIR':
      return `${what} \`${path}\` is a directory, not a file: the file was missing on the host when the container was created, so Docker made a folder; put the file there, remove the folder and recreate the container`;
    default:
      return `${what} \`${path}\` cannot be used (${code ?? errorMessage(error)})`;
  }
}

/** BACKUP_DIR exists (or can be made) and a file can be created, written and removed in it. */
export async function checkBackupsFolder(backupDir: string): Promise<CheckResult> {
  const fix =
    `on the host, \`chown ${processIdentity()} <the folder mounted at ${backupDir}>\`, ` +
    `or run the container as that folder's owner (\`user:\` of the immich-backup service)`;
  const probe = join(backupDir, `.immich-backup-write-test-${process.pid}`);
  try {
    await mkdir(backupDir, { recursive: true });
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.writeFile('ok\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(probe);
    return { name: 'backups-folder', ok: true, message: `${backupDir} is writable` };
  } catch (error) {
    await unlink(probe).catch(() => undefined);
    return { name: 'backups-folder', ok: false, message: await describeAccessProblem(backupDir, error, 'the backups folder', fix) };
  }
}

const libraryFolders = ['library', 'upload', 'profile'];

/** LIBRARY_PATH and its folders of originals can be listed (what a Kopia snapshot of it needs). */
export async function checkLibraryReadable(libraryPath: string): Promise<CheckResult> {
  const fix =
    `make it readable for ${processIdentity()} (e.g. \`sudo setfacl -R -m u:${process.getuid?.() ?? 1000}:rX <UPLOAD_LOCATION>\`), ` +
    `or run the container as its owner (\`user:\` of the immich-backup service); the kopia service must be able to read it too`;
  const mountFix = "mount Immich's UPLOAD_LOCATION there, read-only (compose.sidecar.yml: `${UPLOAD_LOCATION}:/library:ro`)";
  let entries: string[];
  try {
    entries = await readdir(libraryPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { name: 'library', ok: false, message: await describeAccessProblem(libraryPath, error, 'the photo library', code === 'ENOENT' ? mountFix : fix) };
  }
  for (const folder of libraryFolders.filter((name) => entries.includes(name))) {
    const path = join(libraryPath, folder);
    try {
      await readdir(path);
    } catch (error) {
      return { name: 'library', ok: false, message: await describeAccessProblem(path, error, 'the library folder', fix) };
    }
  }
  return { name: 'library', ok: true, message: `${libraryPath} is readable` };
}

/** Every CONFIG_FILES entry can be read, except those listed in CONFIG_FILES_OPTIONAL. */
export async function checkConfigFiles(files: string[], optional: string[]): Promise<CheckResult> {
  const problems: string[] = [];
  for (const file of files) {
    if (optional.includes(file)) continue;
    const problem = await configFileProblem(file);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length === 0) return { name: 'config-files', ok: true, message: `${files.length} config file(s) readable` };
  return { name: 'config-files', ok: false, message: problems.join('; ') };
}

/** Why a config file cannot be copied into the backup, with the fix; undefined when it can. */
export async function configFileProblem(file: string, error?: unknown): Promise<string | undefined> {
  let failure = error;
  if (failure === undefined) {
    try {
      const info = await stat(file);
      if (info.isDirectory()) failure = Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      else await access(file, constants.R_OK);
    } catch (caught) {
      failure = caught;
    }
  }
  if (failure === undefined) return undefined;
  const code = (failure as NodeJS.ErrnoException).code;
  const optionalHint = `, or list it in CONFIG_FILES_OPTIONAL to back up without it`;
  const fix =
    code === 'ENOENT'
      ? `mount it (compose.sidecar.yml mounts ./docker-compose.yml and ./.env under /config) or remove it from CONFIG_FILES${optionalHint}`
      : `it is part of the backup: let ${processIdentity()} read it, keeping it private (on the host: \`sudo chgrp ${process.getgid?.() ?? 1000} <file> && sudo chmod 0640 <file>\`)${optionalHint}`;
  return describeAccessProblem(file, failure, 'the config file', fix);
}

export interface PreflightOptions {
  /** Asks the Kopia server for its status (default: probeKopia). */
  kopiaStatus?: () => Promise<unknown>;
  /** SIGTERM: the Kopia probe stops at once. */
  signal?: AbortSignal;
}

/** Asks the Kopia server for its repository status, once, within 10 s (no retries: this is a check). */
export async function probeKopia(config: SidecarConfig, signal?: AbortSignal): Promise<void> {
  const { KopiaClient } = await import('../kopia/client.ts');
  const client = new KopiaClient(
    { ...config.kopia.connection, fingerprint: config.kopia.connection.fingerprint },
    { requestTimeoutMs: 10_000, attempts: 1, ...(signal === undefined ? {} : { signal }) },
  );
  try {
    await client.status();
  } finally {
    await client.close();
  }
}

/** Runs every check (Kopia's with `probeKopia` unless told otherwise); never throws. */
export async function runStartupChecks(config: SidecarConfig, options: PreflightOptions = {}): Promise<CheckResult[]> {
  const checks: Promise<CheckResult>[] = [
    checkBackupsFolder(config.backupDir),
    checkLibraryReadable(config.libraryPath),
    checkConfigFiles(config.configFiles, config.configFilesOptional),
  ];
  if (config.kopia.enabled) {
    const kopiaStatus = options.kopiaStatus ?? (() => probeKopia(config, options.signal));
    checks.push(
      kopiaStatus().then(
        (): CheckResult => ({ name: 'kopia', ok: true, message: `the Kopia server at ${config.kopia.connection.url} answers` }),
        (error: unknown): CheckResult => ({
          name: 'kopia',
          ok: false,
          message:
            `the Kopia server at ${config.kopia.connection.url} cannot be used: ${errorMessage(error)}; ` +
            'is the kopia service running? (`docker compose ps kopia`, `docker compose logs kopia`); ' +
            'KOPIA_SERVER_PASSWORD must be the one the kopia service was started with',
        }),
      ),
    );
  }
  return Promise.all(checks);
}

/** The failed checks' messages, as one reason for /healthz. */
export function failedChecksReason(checks: readonly CheckResult[]): string | undefined {
  const failed = checks.filter((check) => !check.ok);
  if (failed.length === 0) return undefined;
  return `start-up check failed: ${failed.map((check) => `${check.name}: ${check.message}`).join('; ')}`;
}
