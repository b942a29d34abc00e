import type { Command } from './command.ts';

/** Every subcommand, loaded on demand so that `immich-backup dump` does not load the HTTP server. */
export const commandLoaders: Record<string, () => Promise<{ default: Command }>> = {
  dump: () => import('./dump.ts'),
  backup: () => import('./backup.ts'),
  serve: () => import('./serve.ts'),
  status: () => import('./status.ts'),
  list: () => import('./list.ts'),
  'restore-db': () => import('./restore-db.ts'),
  'restore-library': () => import('./restore-library.ts'),
  verify: () => import('./verify.ts'),
  healthcheck: () => import('./healthcheck.ts'),
  kopia: () => import('./kopia.ts'),
};
