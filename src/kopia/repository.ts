import { createHash } from 'node:crypto';
import type { RepoStatus } from './schemas.ts';

/**
 * What the sidecar knows about the repository a Kopia server writes to, from the server's status.
 *
 * Kopia's status does not expose the repository's unique id, so the identity is a digest of what
 * cannot change for one repository connection: the storage type or repository-server URL, the
 * hash and encryption algorithms, and the user@host the snapshots are made under. Two filesystem
 * repositories with the same settings digest alike; the snapshot ids the sidecar recorded tell
 * them apart (src/backup/steps/kopia.ts).
 */
export interface RepositoryFacts {
  /** Digest of the repository connection's fixed facts (16 hex digits). */
  id: string;
  /** Kopia's storage type (`filesystem`, `s3`, `b2`, ...), or `server` for a Kopia repository server. */
  storage: string;
  /** The repository server's URL, when the Kopia server is a client of another Kopia server. */
  apiServerURL?: string;
  /** One line for a person: what and where, e.g. "Kopia repository server https://vault:51515". */
  description: string;
  /** false for a filesystem repository (a volume on this machine), true for anything remote. */
  offsite: boolean;
}

/** Kopia's own description of a repository-server connection, e.g. "API Server: https://vault:51515". */
const apiServerDescription = /API Server: (https?:\/\/[^\s)]+)/;

export function repositoryFacts(status: RepoStatus): RepositoryFacts {
  // A server that is a client of a repository server reports no storage type (and, behind the
  // server's own wrapper, no apiServerURL either): the URL is in Kopia's default description.
  const described = apiServerDescription.exec(status.description ?? '')?.[1];
  const apiServerURL = status.apiServerURL !== undefined && status.apiServerURL !== '' ? status.apiServerURL : described;
  const remote = apiServerURL !== undefined || (status.connected && (status.storage === undefined || status.storage === ''));
  const storage = remote ? 'server' : (status.storage ?? 'unknown');
  const offsite = remote || storage !== 'filesystem';
  // The URL is left out of the identity: Kopia only reports it through the editable description.
  const identity = [storage, status.hash ?? '', status.encryption ?? '', status.username ?? '', status.hostname ?? ''].join('\n');
  const who = status.username !== undefined && status.hostname !== undefined ? ` as ${status.username}@${status.hostname}` : '';
  const what = remote ? `Kopia repository server ${apiServerURL ?? '(URL not reported)'}` : storage === 'filesystem' ? 'local filesystem repository' : `${storage} repository`;
  const label = (status.description ?? '').replace(/\s*\(?API Server: https?:\/\/[^\s)]+\)?\s*/, '').trim();
  const facts: RepositoryFacts = {
    id: createHash('sha256').update(identity).digest('hex').slice(0, 16),
    storage,
    description: `${what}${label === '' ? '' : ` "${label}"`}${who}`,
    offsite,
  };
  if (apiServerURL !== undefined) facts.apiServerURL = apiServerURL;
  return facts;
}
