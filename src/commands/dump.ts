import { z } from 'zod';
import { dumpLimitsEnvShape, dumpSettingSchemas, envSchemas, loadDatabaseConfig, parseEnv } from '../config.ts';
import { ExitCode, UserError } from '../errors.ts';
import { describeServer } from '../postgres/connection.ts';
import { withServerNamed } from '../postgres/connection-loss.ts';
import { dumpDatabase, dumpToFile, type DumpProgress } from '../postgres/dump.ts';
import { booleanOption, parsedOption, stringOption, type Command } from './command.ts';

const command: Command = {
  name: 'dump',
  summary: "Write a plain-SQL dump of Immich's database (like pg_dump --clean --if-exists), gzip-compressed.",
  help: [
    "Connects with Immich's variables (DB_HOSTNAME, DB_PORT, DB_USERNAME, DB_PASSWORD or DB_PASSWORD_FILE,",
    'DB_DATABASE_NAME, or DB_URL; DB_CONNECT_TIMEOUT). The file is written as FILE.partial and renamed when complete.',
    'DUMP_TIMEOUT (default 6h) and DUMP_STALL_TIMEOUT (default 10m) stop a dump that runs too long or gets no data.',
    'Restore: gunzip < FILE | psql --single-transaction -v ON_ERROR_STOP=1 -d DATABASE',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o' },
    owner: { type: 'boolean' },
    'compression-level': { type: 'string' },
    'allow-unsupported': { type: 'boolean' },
    jobs: { type: 'string', short: 'j' },
  },
  async run({ values }, { env, log, stdout, signal }) {
    const output = stringOption(values, 'output');
    if (output === undefined) throw new UserError('--output FILE is required (FILE ends in .sql.gz, or - for stdout)', { exitCode: ExitCode.usage });
    if (output !== '-' && !output.endsWith('.sql.gz')) throw new UserError(`--output must end in .sql.gz: ${output}`, { exitCode: ExitCode.usage });
    const compressionLevel = parsedOption(values, 'compression-level', dumpSettingSchemas.compressionLevel, 'a whole number from 0 to 9');
    const jobs = parsedOption(values, 'jobs', dumpSettingSchemas.jobs, 'a whole number from 1 to 64');
    const database = loadDatabaseConfig(env);
    const settings = parseEnv(z.object({ ...dumpLimitsEnvShape, DUMP_ALLOW_UNSUPPORTED: envSchemas.booleanFlag.default(false) }), {
      DUMP_TIMEOUT: env.DUMP_TIMEOUT,
      DUMP_STALL_TIMEOUT: env.DUMP_STALL_TIMEOUT,
      DUMP_ALLOW_UNSUPPORTED: env.DUMP_ALLOW_UNSUPPORTED,
    });
    const onProgress = (progress: DumpProgress) => log.debug(progress, 'dump progress');
    const allowUnsupported = booleanOption(values, 'allow-unsupported') || settings.DUMP_ALLOW_UNSUPPORTED;
    const common = { connection: database.connection, owner: booleanOption(values, 'owner'), allowUnsupported, compressionLevel, jobs, signal, onProgress, log,
      timeoutMs: settings.DUMP_TIMEOUT, stallTimeoutMs: settings.DUMP_STALL_TIMEOUT };
    log.info({ database: database.description }, 'dump started');
    const result = await (output === '-' ? dumpDatabase({ ...common, output: stdout }) : dumpToFile({ ...common, path: output })).catch((error: unknown) => {
      throw withServerNamed(error, describeServer(database.connection));
    });
    log.info(
      {
        database: database.description,
        tables: result.tables.length,
        rows: result.tables.reduce((sum, table) => sum + table.rows, 0),
        bytes: result.uncompressedBytes,
        compressedBytes: result.compressedBytes,
        unsupportedObjects: result.unsupportedObjects.length,
        seconds: (result.finishedAt.getTime() - result.startedAt.getTime()) / 1000,
        ...(output === '-' ? {} : { file: output }),
      },
      'dump finished',
    );
    return ExitCode.ok;
  },
};

export default command;
