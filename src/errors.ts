/**
 * An error meant for the person running the program: its message is printed as the one line that
 * says what failed, and its exit code is the program's (1 = database step, 2 = Kopia step, see README).
 * Messages must never contain secrets: build them from names and hosts, not from connection strings.
 */
export class UserError extends Error {
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Exit codes of `immich-backup backup` (documented in the README; monitors depend on them). */
export const ExitCode = {
  ok: 0,
  databaseFailed: 1,
  kopiaFailed: 2,
  /** Another backup run holds the lock (EX_TEMPFAIL): nothing was done. */
  busy: 75,
  /** Immich stayed in maintenance mode (its own restore?): the run was skipped, nothing done (EX_TEMPFAIL). */
  skipped: 75,
  usage: 64,
  config: 78,
} as const;

/** The message of anything thrown, without a stack: what a one-line error report needs. */
export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(errorMessage).join('; ');
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
