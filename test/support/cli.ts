import { spawn, type ChildProcess } from 'node:child_process';
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

export interface RunningCli {
  child: ChildProcess;
  /** Resolves when the process has exited, with its output so far. */
  exited: Promise<CommandOutput & { signal: NodeJS.Signals | null }>;
}

/** Starts `immich-backup <args>` and hands back the process, for tests that signal it while it runs. */
export function startCli(args: string[], env: Env = {}): RunningCli {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env } });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<CommandOutput & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? 1, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
  return { child, exited };
}
