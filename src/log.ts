import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { localIso } from './time.ts';

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

export type LogFormat = 'json' | 'pretty';

/**
 * LOG_FORMAT: `json` (one JSON object a line) or `pretty` (one readable line a record). Unset:
 * JSON for the service (`serve`: its logs are collected and searched), readable on a terminal
 * for the other commands, JSON when their stderr is a pipe or a file.
 */
export function logFormatFor(command: string | undefined, env: Record<string, string | undefined> = process.env, stderrIsTty = process.stderr.isTTY === true): LogFormat {
  const chosen = env.LOG_FORMAT?.trim().toLowerCase();
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  if (command === 'serve') return 'json';
  return stderrIsTty ? 'pretty' : 'json';
}

/**
 * The program's logger. It writes to stderr, so that `dump --output -` can use stdout for the dump
 * itself. LOG_LEVEL picks the level (info by default). Times are local (TZ) with their offset, as
 * everywhere a person reads a time.
 */
export function createLogger(options: { level?: string; destination?: number; format?: LogFormat } = {}): Logger {
  const fd = options.destination ?? 2;
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'immich-backup' },
      timestamp: () => `,"time":"${localIso(Date.now())}"`,
      redact: { paths: redactPaths, censor: '[redacted]' },
    },
    options.format === 'pretty' ? prettyDestination(fd) : pino.destination({ dest: fd, sync: true }),
  );
}

const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every record has, or that the line already shows. */
const hiddenFields = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** One record as a person reads it: `19:40:02+01:00 WARN  message  key=value …`. */
export function formatPrettyLine(record: Record<string, unknown>): string {
  const time = typeof record.time === 'string' ? record.time.replace(/^\d{4}-\d{2}-\d{2}T/, '').replace(/\.\d+(?=[+-]|Z)/, '') : '';
  const level = (levelNames[Number(record.level)] ?? String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key, value]) => !hiddenFields.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${fieldValue(value)}`);
  return `${time} ${level} ${String(record.msg ?? '')}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}\n`;
}

/** A pino destination that writes readable lines (synchronously, like the JSON one). */
function prettyDestination(fd: number): { write(line: string): void } {
  return {
    write(line: string) {
      let text: string;
      try {
        text = formatPrettyLine(JSON.parse(line) as Record<string, unknown>);
      } catch {
        text = line;
      }
      writeSync(fd, text);
    },
  };
}

/**
 * A URL fit for a log line: user info, query values and any path segment that looks like a token
 * (long runs of letters and digits, as in webhook and ping URLs) are replaced. With `lastSegment`,
 * the last path segment goes too, whatever it looks like: a notification target's secret is often
 * short there (an ntfy topic, which is its only password on a public server; an Uptime Kuma push token).
 * With `lastSegmentOf` (the URL as configured), that URL's last path segment goes wherever it is:
 * a ping URL's requests end in /start or /fail, which left a short token before them in the log.
 */
export function redactUrl(raw: string, { lastSegment = false, lastSegmentOf }: { lastSegment?: boolean; lastSegmentOf?: string } = {}): string {
  const configuredSecret = lastSegmentOf === undefined ? undefined : lastPathSegment(lastSegmentOf);
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
    .map((segment, index, segments) =>
      /^[A-Za-z0-9_-]{16,}$/.test(segment) ||
      (lastSegment && segment !== '' && index === segments.findLastIndex((s) => s !== '')) ||
      (configuredSecret !== undefined && segment === configuredSecret)
        ? 'redacted'
        : segment,
    )
    .join('/');
  return url.toString();
}

/** The last non-empty segment of a URL's path, as it appears in the URL (encoded); undefined if none. */
function lastPathSegment(raw: string): string | undefined {
  if (!URL.canParse(raw)) return undefined;
  return new URL(raw).pathname.split('/').findLast((segment) => segment !== '');
}
