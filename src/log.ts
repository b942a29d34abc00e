import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Field names whose values are secrets wherever they appear in a log record. pino replaces them
 * before serialising, so a secret can't reach the log even when a whole config object is logged.
 */
const secretFields = [
  'password',
  'DB_PASSWORD',
  'KOPIA_SERVER_PASSWORD',
  'token',
  'secret',
  'authorization',
  'cookie',
  'connectionString',
  'DB_URL',
];

export const redactPaths = secretFields.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/**
 * The program's logger. It writes JSON lines to stderr, so that `dump --output -` can use stdout for
 * the dump itself. LOG_LEVEL picks the level (info by default).
 */
export function createLogger(options: { level?: string; destination?: number } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'immich-backup' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
    },
    pino.destination({ dest: options.destination ?? 2, sync: true }),
  );
}

/**
 * A URL fit for a log line: user info, query values and any path segment that looks like a token
 * (long runs of letters and digits, as in webhook and ping URLs) are replaced.
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '[invalid url]';
  }
  if (url.username) url.username = 'redacted';
  if (url.password) url.password = 'redacted';
  for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, 'redacted');
  url.pathname = url.pathname
    .split('/')
    .map((segment) => (/^[A-Za-z0-9_-]{16,}$/.test(segment) ? 'redacted' : segment))
    .join('/');
  return url.toString();
}
