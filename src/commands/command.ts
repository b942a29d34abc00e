import type { ParseArgsOptionsConfig } from 'node:util';
import type { z } from 'zod';
import type { Env } from '../config.ts';
import { ExitCode, UserError } from '../errors.ts';
import type { Logger } from '../log.ts';

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  env: Env;
  log: Logger;
  /** Where a command writes what a person (or `--output -`) reads. Logs go to stderr. */
  stdout: NodeJS.WritableStream;
  /** Aborted on SIGINT/SIGTERM: long work stops cleanly and removes what it half-wrote. */
  signal: AbortSignal;
}

/**
 * One subcommand of the CLI. `run` returns the exit code or throws (a UserError carries its own
 * exit code); only cli.ts turns that into the process's exit status.
 */
export interface Command {
  name: string;
  summary: string;
  /** Lines shown by `immich-backup <name> --help`, after the usage line. */
  help: string;
  options: ParseArgsOptionsConfig;
  allowPositionals?: boolean;
  run(args: { values: OptionValues; positionals: string[] }, context: CommandContext): Promise<number>;
}

/** A string option's value, or undefined; for options parsed with `type: 'string'`. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/**
 * A string option read with `schema` (the one its environment variable is read with, so a flag and
 * a variable accept the same values), or undefined; a usage error `--name must be <expected>` otherwise.
 */
export function parsedOption<Schema extends z.ZodType>(values: OptionValues, name: string, schema: Schema, expected: string): z.output<Schema> | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new UserError(`--${name} must be ${expected}, not ${JSON.stringify(text)}`, { exitCode: ExitCode.usage });
  return parsed.data;
}
