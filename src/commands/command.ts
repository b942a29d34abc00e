import type { ParseArgsOptionsConfig } from 'node:util';
import type { Env } from '../config.ts';
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
