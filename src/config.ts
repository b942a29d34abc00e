import { readFileSync } from 'node:fs';
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
 */
export function resolveSecretFiles(env: Env, names: readonly string[]): { env: Env; problems: string[] } {
  const resolved: Env = { ...env };
  const problems: string[] = [];
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set: set only one`);
      continue;
    }
    try {
      resolved[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
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
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

const port = z.coerce.number().int().min(1).max(65535);
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
export const envSchemas = { port, booleanFlag };

/** Immich's database variables (docs: install/environment-variables). */
export const databaseEnvSchema = z
  .object({
    DB_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
    DB_HOSTNAME: z.string().default('database'),
    DB_PORT: port.default(5432),
    DB_USERNAME: z.string().default('postgres'),
    DB_PASSWORD: z.string().optional(),
    DB_DATABASE_NAME: z.string().default('immich'),
    DB_SSL_MODE: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
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
  };
  /** `user@host:port/database`, safe to print. */
  description: string;
}

export const databaseSecretNames = ['DB_PASSWORD', 'DB_URL'] as const;

export function databaseConfigFromParsed(parsed: z.output<typeof databaseEnvSchema>): DatabaseConfig {
  const ssl = sslOption(parsed.DB_SSL_MODE);
  if (parsed.DB_URL !== undefined) {
    const url = new URL(parsed.DB_URL);
    const description = `${decodeURIComponent(url.username)}@${url.hostname}:${url.port || 5432}${url.pathname}`;
    // pg understands `sslmode` in the URL itself; an explicit DB_SSL_MODE wins.
    return { connection: { connectionString: parsed.DB_URL, ...(ssl === undefined ? {} : { ssl }) }, description };
  }
  return {
    connection: {
      host: parsed.DB_HOSTNAME,
      port: parsed.DB_PORT,
      user: parsed.DB_USERNAME,
      password: parsed.DB_PASSWORD,
      database: parsed.DB_DATABASE_NAME,
      ...(ssl === undefined ? {} : { ssl }),
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
  const secrets = resolveSecretFiles(env, databaseSecretNames);
  return databaseConfigFromParsed(parseEnv(databaseEnvSchema, secrets.env, secrets.problems));
}
