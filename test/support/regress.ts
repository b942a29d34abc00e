import { fileURLToPath } from 'node:url';
import { runCommand } from './postgres.ts';
import type { PostgresServer } from './postgres.ts';

/** PostgreSQL's own regression scripts, shipped beside the project (../shared/pg-regress). */
export const regressBuildScript = fileURLToPath(new URL('../../../shared/pg-regress/build.sh', import.meta.url));

/**
 * Builds the regression database (about 930 relations and almost every object kind) in
 * `database` on `server`, with the machine's psql. Takes about a minute on two cores.
 */
export async function buildRegressionDatabase(server: PostgresServer, database: string): Promise<string> {
  await server.createDatabase(database);
  const env = { ...process.env, PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password };
  const result = await runCommand('bash', [regressBuildScript, database], undefined, { env });
  if (result.code !== 0) throw new Error(`build.sh failed: ${result.stderr}`);
  return result.stdout.trim();
}
