import { fileURLToPath } from 'node:url';
import { runCommand, type CommandOutput } from './postgres.ts';
import type { Env } from '../../src/config.ts';

const cliPath = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/**
 * Runs `immich-backup <args>` as a separate process, from the TypeScript sources, with exactly the
 * environment given (plus PATH), the way a user or the container runs it.
 */
export function runCli(args: string[], env: Env = {}, input?: string | Buffer | NodeJS.ReadableStream): Promise<CommandOutput> {
  const processEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env };
  return runCommand(process.execPath, [cliPath, ...args], input, { env: processEnv });
}
