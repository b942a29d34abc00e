#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { commandLoaders } from './commands/index.ts';
import type { Command } from './commands/command.ts';
import { ConfigError } from './config.ts';
import { ExitCode, UserError, errorMessage } from './errors.ts';
import { createLogger, logFormatFor } from './log.ts';

const usage = `usage: immich-backup <command> [options]

commands:
${Object.keys(commandLoaders)
  .map((name) => `  ${name}`)
  .join('\n')}

Run 'immich-backup <command> --help' for a command's options.`;

function commandUsage(command: Command): string {
  const options = Object.entries(command.options)
    .map(([name, option]) => `  --${name}${option.type === 'string' ? ' VALUE' : ''}`)
    .join('\n');
  return `usage: immich-backup ${command.name} [options]\n\n${command.summary}\n\n${command.help}\n\noptions:\n${options}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const load = commandLoaders[name];
  if (load === undefined) {
    process.stderr.write(`immich-backup: unknown command '${name}'\n\n${usage}\n`);
    return ExitCode.usage;
  }
  const command = (await load()).default;

  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`immich-backup ${name}: ${errorMessage(error)}\n\n${commandUsage(command)}\n`);
    return ExitCode.usage;
  }
  if (args.values.help === true) {
    process.stdout.write(`${commandUsage(command)}\n`);
    return ExitCode.ok;
  }

  const log = createLogger({ format: logFormatFor(name) });
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log.warn({ signal }, 'stopping: signal received');
    abort.abort(new UserError(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A lost SSH session sends SIGHUP, whose default kills at once: a restore without one transaction
  // would be left half-done, unsaid. It stops the command gracefully instead, as SIGTERM does.
  process.once('SIGHUP', onSignal);
  try {
    return await command.run(
      { values: args.values, positionals: args.positionals },
      { env: process.env, log, stdout: process.stdout, signal: abort.signal },
    );
  } catch (error) {
    // One clear line (a config error lists its variables below it); details go to the debug log.
    log.debug({ err: error }, 'command failed');
    process.stderr.write(`immich-backup ${name}: ${errorMessage(error)}\n`);
    if (error instanceof ConfigError) return ExitCode.config;
    return error instanceof UserError ? error.exitCode : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

// The only place where the program's exit status is decided.
process.exitCode = await main(process.argv.slice(2));
