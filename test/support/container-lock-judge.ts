/**
 * Run in a container by test/backup/lock.test.ts: how this container judges a freshly refreshed
 * lock written in another PID namespace under its own hostname, by its own PID (alive here), once
 * with this container's identity (its earlier incarnation, before a restart) and once with another
 * container's (a twin sidecar), then the twin's once no longer refreshed. Prints the three verdicts
 * as JSON.
 * Usage: node container-lock-judge.ts DIR
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, containerIdFromMountinfo, lockFileName, RunLockedError } from '../../src/backup/lock.ts';

const [dir] = process.argv.slice(2);
const path = join(dir!, lockFileName);
const ownContainer = containerIdFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
const twinContainer = 'f'.repeat(64);

function writeLock(container: string | null, runId: string): void {
  const holder = { pid: process.pid, host: hostname(), processStart: null, pidNamespace: 'pid:[4026530001]', container, runId, since: new Date().toISOString() };
  writeFileSync(path, JSON.stringify(holder));
}

async function verdict(runId: string): Promise<'taken over' | 'refused'> {
  try {
    const lock = await acquireRunLock(dir!, runId);
    await lock.release();
    return 'taken over';
  } catch (error) {
    if (error instanceof RunLockedError) return 'refused';
    throw error;
  }
}

writeLock(ownContainer, 'immich-20261126_020000');
const ownEarlierIncarnation = await verdict('immich-20261126_020001');
writeLock(twinContainer, 'immich-20261126_020002');
const twinRefreshed = await verdict('immich-20261126_020003');
const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
utimesSync(path, elevenMinutesAgo, elevenMinutesAgo);
const twinNoLongerRefreshed = await verdict('immich-20261126_020004');
process.stdout.write(`${JSON.stringify({ ownContainer, ownEarlierIncarnation, twinRefreshed, twinNoLongerRefreshed })}\n`);
