import { readFileSync } from 'node:fs';
import cron from 'node-cron';
import { z } from 'zod';
import { UserError, ExitCode } from './errors.ts';

/**
 * Configuration comes from the environment only, with Immich's own `.env` names where they exist
 * (so `env_file: .env` just works), validated with zod. Each part of the program asks for the part
 * it needs; every invalid variable is reported at once, before anything runs.
 */
export type Env = Record<string, string | undefined>;

export class ConfigError extends UserError {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`, {
      exitCode: ExitCode.config,
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Docker secrets: for every `NAME_FILE` variable, the file's content (trailing newline removed)
 * becomes `NAME`. Setting both is ambiguous, so it is a problem, like an unreadable file.
 *
 * Immich's own `*_FILE` variables (`immichFileNames`) are read as Immich's start script reads
 * them, so that the sidecar logs in exactly as Immich does: the file wins over the plain variable
 * (Immich's example .env sets DB_PASSWORD, DB_USERNAME and DB_DATABASE_NAME, which stay there when
 * a secret is added), and every trailing newline is removed, a carriage return kept (the shell's
 * `$(< file)`, which is also how the postgres image reads POSTGRES_PASSWORD_FILE).
 */
export function resolveSecretFiles(env: Env, names: readonly string[]): { env: Env; problems: string[] } {
  const resolved: Env = { ...env };
  const problems: string[] = [];
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    const asImmich = (immichFileNames as readonly string[]).includes(name);
    if (!asImmich && env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set: set only one`);
      continue;
    }
    try {
      const content = readFileSync(file, 'utf8');
      resolved[name] = asImmich ? content.replace(/\n+$/, '') : content.replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { env: resolved, problems };
}

/** Parses `env` with `schema`, throwing one ConfigError that lists every problem (and earlier ones). */
export function parseEnv<Schema extends z.ZodType>(
  schema: Schema,
  env: Env,
  earlierProblems: string[] = [],
): z.output<Schema> {
  // Empty variables (`DB_URL=` in a .env file) mean "not set", as in Docker Compose interpolation.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  const problems = [...earlierProblems];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = issue.path.length > 0 ? issue.path.join('.') : 'environment';
      problems.push(`${name}: ${issue.message}`);
    }
  }
  // A cross-variable check may repeat a schema problem word for word: list it once.
  if (problems.length > 0 || !result.success) throw new ConfigError([...new Set(problems)]);
  return result.data;
}

// Decimal digits only: Number() would read 0x15AC, 1e3 or 5432.0 as ports too.
const port = z
  .union([z.number(), z.string()])
  .refine((value) => /^[0-9]{1,5}$/.test(String(value)) && Number(value) >= 1 && Number(value) <= 65535, {
    message: 'must be a port number: decimal digits, 1-65535',
  })
  .transform((value) => Number(value));
/** A flag's raw value as the schema reads it: `True`, `YES` and `false ` are written in .env files too. */
const flagWord = (value: string | undefined) => (value ?? '').trim().toLowerCase();
const booleanFlag = z
  .string()
  .transform(flagWord)
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
export const envSchemas = { port, booleanFlag };

/**
 * A postgres:// URL whose password (or user name) holds `/ : @ # ? %` unencoded is read as another
 * URL: refused ("Invalid URL", no variable named), or, with a `#` or `?`, a host or port cut out of
 * the password, which then went into "cannot connect to <host>" messages. The value is never echoed.
 */
const postgresUrl = (what: string, instead: string) =>
  z
    .string()
    .regex(/^postgres(ql)?:\/\//, `must be a postgres:// or postgresql:// URL${what}`)
    .refine((value) => !/^postgres(ql)?:\/\//.test(value) || (URL.canParse(value) && !value.includes('#')), {
      message:
        `is not a valid URL${what}: in the user name and password, write @ : / # ? % and spaces percent-encoded ` +
        `(%40 %3A %2F %23 %3F %25 %20)${instead}`,
    });

/** Immich's database variables (docs: install/environment-variables). */
export const databaseEnvSchema = z
  .object({
    DB_URL: postgresUrl('', ', or set DB_HOSTNAME, DB_USERNAME, DB_PASSWORD… instead').optional(),
    DB_HOSTNAME: z
      .string()
      // One colon and digits: a port (an IPv6 address has several colons, a socket folder none).
      .refine((value) => !/^[^:]+:\d+$/.test(value), { message: 'holds a port: give the host alone and the port in DB_PORT (as Immich reads them)' })
      .default('database'),
    DB_PORT: port.default(5432),
    DB_USERNAME: z.string().default('postgres'),
    DB_PASSWORD: z.string().optional(),
    DB_DATABASE_NAME: z.string().default('immich'),
    DB_SSL_MODE: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
    DB_CONNECT_TIMEOUT: duration('30s').default(30_000),
  })
  .refine((env) => env.DB_URL !== undefined || env.DB_PASSWORD !== undefined, {
    message: 'is required (or DB_PASSWORD_FILE, or DB_URL)',
    path: ['DB_PASSWORD'],
  });

export interface DatabaseConfig {
  /** Everything the `pg` driver needs; holds the password, so never log this object whole. */
  connection: {
    host?: string;
    port?: number;
    user?: string;
    password?: string;
    database?: string;
    connectionString?: string;
    ssl?: boolean | { rejectUnauthorized: boolean };
    /** DB_CONNECT_TIMEOUT: connecting (TCP, TLS, authentication) must finish within this (pg's own option). */
    connectionTimeoutMillis?: number;
  };
  /** `user@host:port/database`, safe to print. */
  description: string;
}

/** The variables Immich's server also reads from `NAME_FILE` (its bin/start.sh), in its order. */
export const immichFileNames = ['DB_URL', 'DB_HOSTNAME', 'DB_DATABASE_NAME', 'DB_USERNAME', 'DB_PASSWORD'] as const;

export function databaseConfigFromParsed(parsed: z.output<typeof databaseEnvSchema>): DatabaseConfig {
  const ssl = sslOption(parsed.DB_SSL_MODE);
  if (parsed.DB_URL !== undefined) {
    const url = new URL(parsed.DB_URL);
    const description = `${decodeURIComponent(url.username)}@${url.hostname}:${url.port || 5432}${url.pathname}`;
    // pg understands `sslmode` in the URL itself; an explicit DB_SSL_MODE wins.
    return {
      connection: { connectionString: parsed.DB_URL, ...(ssl === undefined ? {} : { ssl }), connectionTimeoutMillis: parsed.DB_CONNECT_TIMEOUT },
      description,
    };
  }
  return {
    connection: {
      host: parsed.DB_HOSTNAME,
      port: parsed.DB_PORT,
      user: parsed.DB_USERNAME,
      password: parsed.DB_PASSWORD,
      database: parsed.DB_DATABASE_NAME,
      ...(ssl === undefined ? {} : { ssl }),
      connectionTimeoutMillis: parsed.DB_CONNECT_TIMEOUT,
    },
    description: `${parsed.DB_USERNAME}@${parsed.DB_HOSTNAME}:${parsed.DB_PORT}/${parsed.DB_DATABASE_NAME}`,
  };
}

function sslOption(mode: string | undefined): DatabaseConfig['connection']['ssl'] {
  switch (mode) {
    case undefined:
      return undefined;
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    default:
      return { rejectUnauthorized: true };
  }
}

/** The database connection settings from Immich's variables (DB_* and their *_FILE forms). */
export function loadDatabaseConfig(env: Env): DatabaseConfig {
  const secrets = resolveSecretFiles(env, immichFileNames);
  return databaseConfigFromParsed(parseEnv(databaseEnvSchema, secrets.env, secrets.problems));
}

// ---------------------------------------------------------------------------------------------
// The sidecar (`backup`, `serve`, `status`, `list`): schedule, folders, Kopia, notifications, HTTP.

/**
 * A duration with its unit (`500ms`, `45s`, `90m`, `26h`, `2d`), in milliseconds. A bare number is
 * refused: `NOTIFY_TIMEOUT=10` must not silently mean ten hours (nor ten seconds).
 */
export function parseDuration(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (match === null) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Number(match[1]) * factor;
  return ms > 0 ? ms : undefined;
}

/** A duration setting; `example` is shown in the error message. */
function duration(example: string) {
  return z.string().transform((value, context) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      context.addIssue({ code: 'custom', message: `must be a duration with its unit, such as ${example}, 90s, 10m or 2h (got "${value}")` });
      return z.NEVER;
    }
    return ms;
  });
}

function isValidCron(expression: string): boolean {
  // node-cron's own parser: what it accepts here is exactly what the scheduler will run.
  return cron.validate(expression);
}

const cronFields = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 7 },
] as const;

/**
 * Why node-cron refuses `expression`, said the way a person fixes it: the wrong number of fields,
 * or which field has a value out of its range. Undefined when no single field is to blame.
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `must be a cron expression with 5 or 6 fields, e.g. "0 2 * * *" (got ${fields.length} field${fields.length === 1 ? '' : 's'})`;
  }
  const specs = fields.length === 6 ? cronFields : cronFields.slice(1);
  for (const [index, field] of fields.entries()) {
    const spec = specs[index]!;
    for (const part of field.split(',')) {
      const [range, step] = part.split('/');
      if (step !== undefined && !/^\d+$/.test(step)) return `the ${spec.name} field "${field}" has an invalid step "${step}"`;
      for (const value of (range ?? '').split('-')) {
        if (!/^\d+$/.test(value)) continue; // *, names (jan, mon) and other forms are node-cron's to judge
        const number = Number(value);
        if (number < spec.min || number > spec.max) {
          return `the ${spec.name} field is out of range: ${number} (allowed ${spec.min}-${spec.max}) in "${expression}"`;
        }
      }
    }
  }
  return undefined;
}

/** A cron expression node-cron accepts; a refused one is explained field by field. */
const cronExpression = (example: string) =>
  z.string().refine(isValidCron, {
    error: (issue) => cronProblem(String(issue.input)) ?? `must be a valid cron expression with 5 or 6 fields, e.g. "${example}"`,
  });

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const httpUrl = (what: string) =>
  z.string().refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
    // Never echo the value: webhook URLs carry their secret in the path.
    message: `must be an http:// or https:// URL (${what})`,
  });

const nonNegativeInt = z.coerce.number().int().min(0);
const positiveInt = z.coerce.number().int().min(1);
const pathList = z.string().transform((value) =>
  value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);
const absolutePath = z.string().refine((value) => value.startsWith('/'), { message: 'must be an absolute path' });
/** Like `duration`, but `0` (with or without a unit) is allowed (e.g. "do not wait"). */
const durationOrZero = z.string().transform((value, context) => {
  if (/^\s*0+(\.0+)?\s*(ms|s|m|h|d)?\s*$/.test(value)) return 0;
  const ms = parseDuration(value);
  if (ms === undefined) {
    context.addIssue({ code: 'custom', message: `must be 0 or a duration such as 30m, 90s or 2h (got "${value}")` });
    return z.NEVER;
  }
  return ms;
});

/**
 * How to reach the Kopia server: shared by the sidecar's schema and the CLI's Kopia commands
 * (`loadKopiaConnection`), so both accept and refuse the same values.
 */
export const kopiaConnectionEnvShape = {
  KOPIA_SERVER_URL: httpUrl('the Kopia server, e.g. http://kopia:51515')
    // The URL is printed (logs, /healthz, notifications): a password in it would be printed with it.
    .refine((value) => !URL.canParse(value) || (new URL(value).username === '' && new URL(value).password === ''), {
      message: 'must not hold a user name or password: set KOPIA_SERVER_USERNAME and KOPIA_SERVER_PASSWORD (KOPIA_SERVER_PASSWORD_FILE) instead',
    })
    .transform((value) => value.replace(/\/+$/, ''))
    .default('http://kopia:51515'),
  KOPIA_SERVER_USERNAME: z.string().default('kopia'),
  KOPIA_SERVER_PASSWORD: z.string({ error: 'is required (or KOPIA_SERVER_PASSWORD_FILE)' }).min(1, 'is required (or KOPIA_SERVER_PASSWORD_FILE)'),
  KOPIA_SERVER_CERT_FINGERPRINT: z
    .string()
    .transform((value) => value.replace(/[:\s]/g, '').toLowerCase())
    .refine((value) => /^[0-9a-f]{64}$/.test(value), { message: 'must be a SHA-256 fingerprint (64 hex digits)' })
    .optional(),
  /** Allows an http:// Kopia URL to a host outside the stack's network (the password then travels unencrypted). */
  KOPIA_ALLOW_INSECURE_HTTP: booleanFlag.default(false),
};

/** A host only reachable inside the compose network or this machine: a single-label name (`kopia`) or loopback. */
function isStackInternalHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)) return true;
  return !hostname.includes('.') && !hostname.includes(':') && !hostname.startsWith('[');
}

/**
 * The Kopia password goes with every request (basic auth): over http:// it is readable by anyone
 * on the way. Allowed to the stack's internal service name or loopback, or when the user says so;
 * a certificate fingerprint with http:// pins nothing, which is a mistake worth stopping on.
 */
export function kopiaTransportProblems(env: Env): string[] {
  const value = env.KOPIA_SERVER_URL === undefined || env.KOPIA_SERVER_URL === '' ? 'http://kopia:51515' : env.KOPIA_SERVER_URL;
  if (!URL.canParse(value)) return []; // the schema reports it
  const url = new URL(value);
  if (url.protocol !== 'http:') return [];
  const problems: string[] = [];
  if (env.KOPIA_SERVER_CERT_FINGERPRINT !== undefined && env.KOPIA_SERVER_CERT_FINGERPRINT !== '') {
    problems.push(
      'KOPIA_SERVER_CERT_FINGERPRINT: is set, but KOPIA_SERVER_URL is http:// (no TLS, no certificate to pin): use https:// or remove the fingerprint',
    );
  }
  const allowed = ['true', '1', 'yes'].includes(flagWord(env.KOPIA_ALLOW_INSECURE_HTTP));
  if (!allowed && !isStackInternalHost(url.hostname)) {
    problems.push(
      `KOPIA_SERVER_URL: http:// to ${url.hostname} would send the Kopia password unencrypted over the network: use https:// ` +
        "(with KOPIA_SERVER_CERT_FINGERPRINT for a self-signed certificate), the stack's internal name (http://kopia:51515), or set KOPIA_ALLOW_INSECURE_HTTP=true",
    );
  }
  return problems;
}

/** How to reach the Kopia server (the `kopia/kopia` service of the compose stack); the sidecar and the CLI share it. */
export interface KopiaConnection {
  url: string;
  username: string;
  /** Secret: never log this object whole. */
  password: string;
  /** Lowercase hex SHA-256 of the server's leaf certificate (DER); when set, nothing else is trusted. */
  fingerprint?: string;
}

/** The connection from parsed KOPIA_SERVER_* values (the sidecar's password is optional while Kopia is off). */
function kopiaConnectionFromParsed(parsed: {
  KOPIA_SERVER_URL: string;
  KOPIA_SERVER_USERNAME: string;
  KOPIA_SERVER_PASSWORD?: string | undefined;
  KOPIA_SERVER_CERT_FINGERPRINT?: string | undefined;
}): KopiaConnection {
  return {
    url: parsed.KOPIA_SERVER_URL,
    username: parsed.KOPIA_SERVER_USERNAME,
    password: parsed.KOPIA_SERVER_PASSWORD ?? '',
    ...(parsed.KOPIA_SERVER_CERT_FINGERPRINT === undefined ? {} : { fingerprint: parsed.KOPIA_SERVER_CERT_FINGERPRINT }),
  };
}

/** The folders the sidecar snapshots, as the Kopia server sees them: the sidecar and restore-library read them alike. */
const kopiaSourcePathsEnvShape = {
  KOPIA_BACKUPS_PATH: absolutePath.default('/backups'),
  KOPIA_LIBRARY_PATH: absolutePath.default('/library'),
};

const kopiaSecretNames = ['KOPIA_SERVER_PASSWORD'] as const;

/** KOPIA_SERVER_* (and KOPIA_SERVER_PASSWORD_FILE) with `shape`'s variables, for the CLI's Kopia commands. */
function parseKopiaCommandEnv<Shape extends z.ZodRawShape>(env: Env, shape: Shape) {
  const secrets = resolveSecretFiles(env, kopiaSecretNames);
  return parseEnv(z.object({ ...kopiaConnectionEnvShape, ...shape }), secrets.env, [...secrets.problems, ...kopiaTransportProblems(secrets.env)]);
}

/** The Kopia connection from KOPIA_SERVER_* variables (and KOPIA_SERVER_PASSWORD_FILE), for the CLI's Kopia commands. */
export function loadKopiaConnection(env: Env): KopiaConnection {
  return kopiaConnectionFromParsed(parseKopiaCommandEnv(env, {}));
}

/** What restore-library reads: the connection and the snapshotted folders (KOPIA_BACKUPS_PATH, KOPIA_LIBRARY_PATH). */
export function loadKopiaRestoreConfig(env: Env): { connection: KopiaConnection; backupsPath: string; libraryPath: string } {
  const parsed = parseKopiaCommandEnv(env, kopiaSourcePathsEnvShape);
  return { connection: kopiaConnectionFromParsed(parsed), backupsPath: parsed.KOPIA_BACKUPS_PATH, libraryPath: parsed.KOPIA_LIBRARY_PATH };
}

/** Settings of a dump: the sidecar reads them from DUMP_* variables, `dump` and `restore-db` from their flags. */
export const dumpSettingSchemas = {
  compressionLevel: z.coerce.number().int().min(0).max(9),
  jobs: z.coerce.number().int().min(1).max(64),
};

/** Limits of the dump step, read by the sidecar and by the `dump` command. */
export const dumpLimitsEnvShape = {
  DUMP_TIMEOUT: duration('6h').default(6 * 3_600_000),
  DUMP_STALL_TIMEOUT: duration('10m').default(10 * 60_000),
};

/** Every variable of the sidecar; the DB_* part is `databaseEnvSchema`'s. */
export const sidecarEnvSchema = z.object({
  BACKUP_SCHEDULE: cronExpression('0 2 * * *')
    .default('0 2 * * *'),
  TZ: z.string().refine(isValidTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' }).optional(),
  BACKUP_DIR: absolutePath.default('/backups'),
  BACKUP_KEEP_DAYS: nonNegativeInt.default(7),
  BACKUP_KEEP_MIN: positiveInt.default(3),
  BACKUP_MAX_AGE: duration('26h').default(26 * 3_600_000),
  BACKUP_ON_START: envSchemas.booleanFlag.default(false),
  DUMP_COMPRESSION_LEVEL: dumpSettingSchemas.compressionLevel.default(6),
  CONFIG_FILES: pathList.default(['/config/docker-compose.yml', '/config/.env']),
  // Config files that may be missing or unreadable (a warning); any other one that cannot be read fails the run.
  CONFIG_FILES_OPTIONAL: pathList.default([]),
  LIBRARY_PATH: absolutePath.default('/library'),

  KOPIA_ENABLED: envSchemas.booleanFlag.default(true),
  ...kopiaConnectionEnvShape,
  // Required only while Kopia is enabled (checked with the other cross-variable rules).
  KOPIA_SERVER_PASSWORD: z.string().optional(),
  KOPIA_REPOSITORY_PASSWORD: z.string().optional(),
  KOPIA_DEFAULT_REPOSITORY_PATH: absolutePath.default('/repository'),
  ...kopiaSourcePathsEnvShape,
  // Every retention count is set on the policy, so that nothing is inherited from Kopia's global
  // defaults (latest 10, hourly 48, annual 3): what is configured here is what Kopia keeps.
  KOPIA_KEEP_LATEST: nonNegativeInt.default(0),
  KOPIA_KEEP_HOURLY: nonNegativeInt.default(0),
  KOPIA_KEEP_DAILY: nonNegativeInt.default(30),
  KOPIA_KEEP_WEEKLY: nonNegativeInt.default(12),
  KOPIA_KEEP_MONTHLY: nonNegativeInt.default(12),
  KOPIA_KEEP_ANNUAL: nonNegativeInt.default(0),
  // How long a run waits for a Kopia server that is (re)connecting its repository before it fails.
  KOPIA_CONNECT_TIMEOUT: duration('5m').default(5 * 60_000),
  KOPIA_SNAPSHOT_TIMEOUT: duration('12h').default(12 * 3_600_000),
  // A library snapshot with fewer files than this share of the previous one's is refused (0: off).
  KOPIA_LIBRARY_MIN_RATIO: z.coerce.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.5),

  WEBHOOK_URL: httpUrl('WEBHOOK_URL').optional(),
  NTFY_URL: httpUrl('the ntfy topic URL, e.g. https://ntfy.sh/my-topic').optional(),
  NTFY_TOKEN: z.string().optional(),
  DISCORD_WEBHOOK_URL: httpUrl('a Discord webhook URL').optional(),
  SLACK_WEBHOOK_URL: httpUrl('a Slack incoming-webhook URL').optional(),
  GOTIFY_URL: httpUrl('the Gotify server, e.g. https://gotify.example.com').optional(),
  GOTIFY_TOKEN: z.string().optional(),
  HEALTHCHECKS_URL: httpUrl('a healthchecks.io-style ping URL').optional(),
  NOTIFY_ON_START: envSchemas.booleanFlag.default(false),
  NOTIFY_ON_SUCCESS: envSchemas.booleanFlag.default(true),
  NOTIFY_TIMEOUT: duration('10s').default(10_000),
  NOTIFY_RETRIES: nonNegativeInt.max(10).default(3),

  HTTP_PORT: port.default(8080),
  DUMP_ALLOW_UNSUPPORTED: envSchemas.booleanFlag.default(false),
  // A run refuses a database without Immich's migration bookkeeping unless this is set.
  ALLOW_NON_IMMICH_DATABASE: envSchemas.booleanFlag.default(false),
  DUMP_JOBS: dumpSettingSchemas.jobs.optional(),
  ...dumpLimitsEnvShape,
  IMMICH_MEDIA_LOCATION: absolutePath.default('/data'),
  VERIFY_DATABASE_URL: postgresUrl(' of a server for the scratch database', '').optional(),
  IMMICH_URL: httpUrl("Immich's server as the sidecar reaches it, e.g. http://immich-server:2283, or off")
    .or(z.literal('off'))
    // The default before the transform: zod would put it back in place of the undefined that "off" gives.
    .default('http://immich-server:2283')
    .transform((value) => (value === 'off' ? undefined : value.replace(/\/+$/, ''))),
  IMMICH_API_TIMEOUT: duration('10s').default(10_000),
  IMMICH_MAINTENANCE_WAIT: durationOrZero.default(30 * 60_000),
  IMMICH_BACKUPS_PATH: absolutePath.optional(),
  VERIFY_HEALTHCHECKS_URL: httpUrl('a healthchecks.io-style ping URL for the restore test').optional(),
  VERIFY_TIMEOUT: duration('6h').default(6 * 3_600_000),
  VERIFY_SCHEDULE: cronExpression('0 5 * * 0')
    // Monthly, as the runbook says (1st of the month, 05:00, after the night's backup); "off" disables it.
    .or(z.literal('off'))
    .default('0 5 1 * *')
    .transform((value) => (value === 'off' ? undefined : value)),
});

export const sidecarSecretNames = [
  ...immichFileNames,
  'KOPIA_SERVER_PASSWORD',
  'KOPIA_REPOSITORY_PASSWORD',
  'WEBHOOK_URL',
  'NTFY_TOKEN',
  'DISCORD_WEBHOOK_URL',
  'SLACK_WEBHOOK_URL',
  'GOTIFY_TOKEN',
  'HEALTHCHECKS_URL',
  'VERIFY_HEALTHCHECKS_URL',
  'VERIFY_DATABASE_URL',
] as const;

export interface SidecarConfig {
  database: DatabaseConfig;
  schedule: string;
  timeZone?: string;
  backupDir: string;
  keepDays: number;
  keepMin: number;
  maxAgeMs: number;
  backupOnStart: boolean;
  compressionLevel: number;
  configFiles: string[];
  /** Of `configFiles`, those whose absence is only a warning. */
  configFilesOptional: string[];
  libraryPath: string;
  kopia: {
    enabled: boolean;
    connection: KopiaConnection;
    /** Password for the default filesystem repository created when the server has none (secret). */
    repositoryPassword?: string;
    defaultRepositoryPath: string;
    backupsPath: string;
    libraryPath: string;
    retention: { keepLatest: number; keepHourly: number; keepDaily: number; keepWeekly: number; keepMonthly: number; keepAnnual: number };
    /** How long a run waits for a server that is still connecting its repository. */
    connectTimeoutMs: number;
    snapshotTimeoutMs: number;
    /** The library snapshot must hold at least this share of the previous one's files (0: no check). */
    libraryMinRatio: number;
  };
  notify: {
    webhookUrl?: string;
    ntfyUrl?: string;
    ntfyToken?: string;
    discordUrl?: string;
    slackUrl?: string;
    gotifyUrl?: string;
    gotifyToken?: string;
    healthchecksUrl?: string;
    /** The restore test's own ping URL: verify never pings the backup's HEALTHCHECKS_URL. */
    verifyHealthchecksUrl?: string;
    onStart: boolean;
    onSuccess: boolean;
    timeoutMs: number;
    retries: number;
  };
  httpPort: number;
  immich: {
    /** Immich's server (IMMICH_URL); undefined when set to "off". */
    url?: string;
    apiTimeoutMs: number;
    /** How long a run waits for Immich's maintenance mode to end before it is skipped. */
    maintenanceWaitMs: number;
    /** Immich's `UPLOAD_LOCATION/backups`, mounted read-write: each good run places a copy of its dump there. */
    backupsPath?: string;
  };
  /** Dump even when the database has objects the dump cannot write (they are listed in the manifest). */
  allowUnsupported: boolean;
  /** Back up a database without Immich's migration bookkeeping instead of failing the run. */
  allowNonImmichDatabase: boolean;
  /** Connections copying table data at once (default: two per core, at most 4). */
  dumpJobs?: number;
  /** DUMP_TIMEOUT: the whole dump step must finish within this. */
  dumpTimeoutMs: number;
  /** DUMP_STALL_TIMEOUT: the dump fails when the server sends nothing for this long. */
  dumpStallTimeoutMs: number;
  /** Immich's in-container upload location, to map the database's file paths to the library snapshot. */
  mediaLocation: string;
  /** Secret: a server for verify's scratch database instead of Immich's own. */
  verifyDatabaseUrl?: string;
  /** VERIFY_TIMEOUT: a restore test still running after this is stopped and reported failed. */
  verifyTimeoutMs: number;
  verifySchedule?: string;
}

function sidecarCrossProblems(env: Env): string[] {
  const set = (name: string) => env[name] !== undefined && env[name] !== '';
  const problems: string[] = [];
  const kopiaEnabled = !['false', '0', 'no'].includes(flagWord(env.KOPIA_ENABLED));
  if (kopiaEnabled && !set('KOPIA_SERVER_PASSWORD') && !set('KOPIA_SERVER_PASSWORD_FILE')) {
    problems.push('KOPIA_SERVER_PASSWORD: is required (or KOPIA_SERVER_PASSWORD_FILE), or set KOPIA_ENABLED=false for local backups only');
  }
  if (kopiaEnabled) problems.push(...kopiaTransportProblems(env));
  if (set('GOTIFY_URL') !== (set('GOTIFY_TOKEN') || set('GOTIFY_TOKEN_FILE'))) {
    problems.push('GOTIFY_TOKEN: GOTIFY_URL and GOTIFY_TOKEN go together: set both');
  }
  if (!set('DB_PASSWORD') && !set('DB_PASSWORD_FILE') && !set('DB_URL') && !set('DB_URL_FILE')) {
    problems.push('DB_PASSWORD: is required (or DB_PASSWORD_FILE, or DB_URL)');
  }
  return problems;
}

/**
 * `KOPIA_PASSWORD`, Kopia's own name for the repository password, stands for
 * KOPIA_REPOSITORY_PASSWORD when that is not set: compose.sidecar.yml gives one env file
 * (immich-backup.env) to the sidecar and to the kopia service, which opens its repository with it.
 */
function withKopiaPasswordAlias(env: Env): Env {
  const set = (name: string) => env[name] !== undefined && env[name] !== '';
  if (set('KOPIA_REPOSITORY_PASSWORD') || set('KOPIA_REPOSITORY_PASSWORD_FILE') || !set('KOPIA_PASSWORD')) return env;
  return { ...env, KOPIA_REPOSITORY_PASSWORD: env.KOPIA_PASSWORD };
}

/**
 * The whole sidecar configuration. Every problem (database, sidecar, unreadable *_FILE, pairs
 * that only make sense together) is collected and thrown as one ConfigError.
 */
export function loadSidecarConfig(env: Env): SidecarConfig {
  const secrets = resolveSecretFiles(withKopiaPasswordAlias(env), sidecarSecretNames);
  const schema = z.object({ ...sidecarEnvSchema.shape }).and(databaseEnvSchema);
  // Checks across variables run on the raw values, so they are reported together with everything
  // else (zod skips refinements of an object that already has problems).
  const problems = [...secrets.problems, ...sidecarCrossProblems(secrets.env)];
  const parsed = parseEnv(schema, secrets.env, problems);
  return {
    database: databaseConfigFromParsed(parsed),
    schedule: parsed.BACKUP_SCHEDULE,
    timeZone: parsed.TZ,
    backupDir: parsed.BACKUP_DIR,
    keepDays: parsed.BACKUP_KEEP_DAYS,
    keepMin: parsed.BACKUP_KEEP_MIN,
    maxAgeMs: parsed.BACKUP_MAX_AGE,
    backupOnStart: parsed.BACKUP_ON_START,
    compressionLevel: parsed.DUMP_COMPRESSION_LEVEL,
    configFiles: parsed.CONFIG_FILES,
    configFilesOptional: parsed.CONFIG_FILES_OPTIONAL,
    libraryPath: parsed.LIBRARY_PATH,
    kopia: {
      enabled: parsed.KOPIA_ENABLED,
      connection: kopiaConnectionFromParsed(parsed),
      ...(parsed.KOPIA_REPOSITORY_PASSWORD === undefined ? {} : { repositoryPassword: parsed.KOPIA_REPOSITORY_PASSWORD }),
      defaultRepositoryPath: parsed.KOPIA_DEFAULT_REPOSITORY_PATH,
      backupsPath: parsed.KOPIA_BACKUPS_PATH,
      libraryPath: parsed.KOPIA_LIBRARY_PATH,
      retention: {
        keepLatest: parsed.KOPIA_KEEP_LATEST,
        keepHourly: parsed.KOPIA_KEEP_HOURLY,
        keepDaily: parsed.KOPIA_KEEP_DAILY,
        keepWeekly: parsed.KOPIA_KEEP_WEEKLY,
        keepMonthly: parsed.KOPIA_KEEP_MONTHLY,
        keepAnnual: parsed.KOPIA_KEEP_ANNUAL,
      },
      connectTimeoutMs: parsed.KOPIA_CONNECT_TIMEOUT,
      snapshotTimeoutMs: parsed.KOPIA_SNAPSHOT_TIMEOUT,
      libraryMinRatio: parsed.KOPIA_LIBRARY_MIN_RATIO,
    },
    notify: {
      webhookUrl: parsed.WEBHOOK_URL,
      ntfyUrl: parsed.NTFY_URL,
      ntfyToken: parsed.NTFY_TOKEN,
      discordUrl: parsed.DISCORD_WEBHOOK_URL,
      slackUrl: parsed.SLACK_WEBHOOK_URL,
      gotifyUrl: parsed.GOTIFY_URL,
      gotifyToken: parsed.GOTIFY_TOKEN,
      healthchecksUrl: parsed.HEALTHCHECKS_URL,
      ...(parsed.VERIFY_HEALTHCHECKS_URL === undefined ? {} : { verifyHealthchecksUrl: parsed.VERIFY_HEALTHCHECKS_URL }),
      onStart: parsed.NOTIFY_ON_START,
      onSuccess: parsed.NOTIFY_ON_SUCCESS,
      timeoutMs: parsed.NOTIFY_TIMEOUT,
      retries: parsed.NOTIFY_RETRIES,
    },
    httpPort: parsed.HTTP_PORT,
    immich: {
      ...(parsed.IMMICH_URL === undefined ? {} : { url: parsed.IMMICH_URL }),
      apiTimeoutMs: parsed.IMMICH_API_TIMEOUT,
      maintenanceWaitMs: parsed.IMMICH_MAINTENANCE_WAIT,
      ...(parsed.IMMICH_BACKUPS_PATH === undefined ? {} : { backupsPath: parsed.IMMICH_BACKUPS_PATH }),
    },
    allowUnsupported: parsed.DUMP_ALLOW_UNSUPPORTED,
    allowNonImmichDatabase: parsed.ALLOW_NON_IMMICH_DATABASE,
    ...(parsed.DUMP_JOBS === undefined ? {} : { dumpJobs: parsed.DUMP_JOBS }),
    dumpTimeoutMs: parsed.DUMP_TIMEOUT,
    dumpStallTimeoutMs: parsed.DUMP_STALL_TIMEOUT,
    mediaLocation: parsed.IMMICH_MEDIA_LOCATION,
    ...(parsed.VERIFY_DATABASE_URL === undefined ? {} : { verifyDatabaseUrl: parsed.VERIFY_DATABASE_URL }),
    verifyTimeoutMs: parsed.VERIFY_TIMEOUT,
    verifySchedule: parsed.VERIFY_SCHEDULE,
  };
}
