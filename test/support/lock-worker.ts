/**
 * One of many processes competing for the run lock (test/backup/lock.test.ts). Rounds start at
 * fixed times shared by every worker, so all of them try at once. A holder proves it is alone by
 * creating a marker file exclusively; now and then a holder leaves a stale lock behind (the lock
 * of an earlier incarnation of its PID) that the next round must take over.
 * Usage: node lock-worker.ts DIR INDEX ROUNDS SLOT_MS START_EPOCH_MS
 */
import { rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, lockFileName, RunLockedError } from '../../src/backup/lock.ts';
import type { Logger } from '../../src/log.ts';

const [dir, indexText, roundsText, slotText, startText] = process.argv.slice(2);
const index = Number(indexText);
const rounds = Number(roundsText);
const slotMs = Number(slotText);
const start = Number(startText);
const figures = { acquired: 0, refused: 0, overlaps: 0, takeovers: 0, staleLeft: 0 };
const log = { warn: (_fields: unknown, message: string) => void (/took over a stale lock/.test(message) && (figures.takeovers += 1)) } as unknown as Logger;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

for (let round = 0; round < rounds; round += 1) {
  await sleep(start + round * slotMs - Date.now());
  let lock;
  try {
    lock = await acquireRunLock(dir!, `worker${index}-round${round}`, log);
  } catch (error) {
    if (!(error instanceof RunLockedError)) throw error;
    figures.refused += 1;
    continue;
  }
  figures.acquired += 1;
  const marker = join(dir!, 'holder-marker');
  let mine = false;
  try {
    writeFileSync(marker, String(index), { flag: 'wx' });
    mine = true;
  } catch {
    figures.overlaps += 1;
  }
  await sleep(2);
  if (mine) rmSync(marker);
  await lock.release();
  if (round % 3 === 2) {
    // Die without releasing, as it were: a lock with this PID but another process start time.
    const stale = { pid: process.pid, host: hostname(), processStart: '1', runId: `dead-${index}-${round}`, since: new Date().toISOString() };
    try {
      writeFileSync(join(dir!, lockFileName), JSON.stringify(stale), { flag: 'wx' });
      figures.staleLeft += 1;
    } catch {
      // Another worker already holds the lock again.
    }
  }
}
process.stdout.write(`${JSON.stringify(figures)}\n`);
