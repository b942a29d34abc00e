/**
 * A backup run in a container, for test/backup/lock.test.ts: takes the run lock in DIR, says so on
 * stdout and holds it (kept fresh) until it is killed; exits 75 when another run holds the lock.
 * Usage: node container-lock-worker.ts DIR RUN_ID
 */
import { acquireRunLock, RunLockedError } from '../../src/backup/lock.ts';
import type { Logger } from '../../src/log.ts';

const [dir, runId] = process.argv.slice(2);
const log = { warn: (_fields: unknown, message: string) => console.log(message) } as unknown as Logger;
try {
  await acquireRunLock(dir!, runId!, log);
} catch (error) {
  if (!(error instanceof RunLockedError)) throw error;
  console.log(error.message);
  process.exit(75);
}
console.log(`acquired ${runId}`);
// The lock's refresh timer does not keep the process alive; a run's work would.
setInterval(() => undefined, 3_600_000);
