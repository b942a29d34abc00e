import { dumpSettingSchemas, loadDatabaseConfig } from '../config.ts';
import { ExitCode, UserError, errorMessage } from '../errors.ts';
import { maintenanceModeInDatabase } from '../immich/maintenance-db.ts';
import { immichRestoreNotes } from '../immich/restore-check.ts';
import { restoreDatabase } from '../postgres/restore.ts';
import { booleanOption, parsedOption, stringOption, type Command } from './command.ts';

const command: Command = {
  name: 'restore-db',
  summary: "Restore Immich's database from a dump (.sql.gz or .sql): ours, or a plain pg_dump of one database.",
  help: [
    "Connects with Immich's variables (DB_HOSTNAME, DB_PORT, DB_USERNAME, DB_PASSWORD, DB_DATABASE_NAME or DB_URL);",
    '--database NAME restores into another database on the same server. A dump with a manifest.json beside it',
    'is checked against its sha256 first; the whole file is read once before anything is touched (gzip',
    'integrity, a plain SQL script, not a pg_dump custom/tar/directory archive or pg_dumpall output).',
    'A database that already has tables is refused unless --clean. --clean drops and restores in one',
    'transaction (all or nothing) unless --no-single-transaction; --single-transaction does that without --clean too.',
    '--jobs N (default: one per core, at most 4): outside a single transaction, table data is loaded on N',
    'connections (in pieces, each in its own transaction) and indexes and key constraints are built on N at once,',
    'like pg_restore -j. A single transaction (--clean, --single-transaction) is always one connection.',
    "Prints the Immich version and newest migration the backup was made with (from its manifest), and warns",
    "when the target database's Immich (its kysely_migrations) is older: Immich cannot migrate a database down.",
    'Stop Immich (docker compose stop immich-server immich-machine-learning) before restoring over it: --clean refuses',
    'a database that other sessions are still connected to, naming them.',
    '--no-owner skips the dump\'s ALTER ... OWNER TO statements (pg_dump keeps owners, Immich\'s own dumps have them): the',
    'objects then belong to the restoring user, for a dump whose owner role this server does not have.',
  ].join('\n'),
  options: {
    input: { type: 'string', short: 'i' },
    database: { type: 'string' },
    clean: { type: 'boolean' },
    'single-transaction': { type: 'boolean' },
    'no-single-transaction': { type: 'boolean' },
    jobs: { type: 'string', short: 'j' },
    'no-owner': { type: 'boolean' },
  },
  async run({ values }, { env, log, stdout, signal }) {
    const input = stringOption(values, 'input');
    if (input === undefined) throw new UserError('--input FILE is required (a .sql.gz or .sql dump)', { exitCode: ExitCode.usage });
    if (booleanOption(values, 'single-transaction') && booleanOption(values, 'no-single-transaction')) {
      throw new UserError('--single-transaction and --no-single-transaction contradict each other: give one', { exitCode: ExitCode.usage });
    }
    const jobs = parsedOption(values, 'jobs', dumpSettingSchemas.jobs, 'a whole number from 1 to 64');
    const singleTransaction = booleanOption(values, 'single-transaction') || (booleanOption(values, 'clean') && !booleanOption(values, 'no-single-transaction'));
    if (jobs !== undefined && jobs > 1 && singleTransaction) {
      throw new UserError(
        '--jobs loads on several connections, which cannot share one transaction: give --no-single-transaction with --clean (the target is then dropped and restored without a rollback), or leave --jobs out',
        { exitCode: ExitCode.usage },
      );
    }
    const config = loadDatabaseConfig(env);
    const database = stringOption(values, 'database');
    const connection = database === undefined ? config.connection : { ...config.connection, database };
    // Which Immich made the backup, and whether the target's is older (it cannot migrate down).
    const notes = await immichRestoreNotes(input, connection);
    stdout.write(`${notes.lines.join('\n')}\n`);
    if (notes.targetOlder) log.warn({ target: notes.target, backup: notes.backup }, "the target's Immich is older than the backup's");
    log.info({ input, database: database ?? config.description }, 'restore started');
    const result = await restoreDatabase({
      connection,
      input,
      clean: booleanOption(values, 'clean'),
      // Unset: restoreDatabase's default (one transaction with --clean).
      ...(booleanOption(values, 'single-transaction') ? { singleTransaction: true } : {}),
      ...(booleanOption(values, 'no-single-transaction') ? { singleTransaction: false } : {}),
      ...(jobs === undefined ? {} : { jobs }),
      noOwner: booleanOption(values, 'no-owner'),
      signal,
      log,
    }).catch((error: unknown) => {
      // A new stack restoring into a database of another name (--database) that nobody created yet.
      const missing = error instanceof UserError ? /database "(.+)" does not exist/.exec(errorMessage(error.cause))?.[1] : undefined;
      if (missing === undefined) throw error;
      const user = 'user' in connection && typeof connection.user === 'string' ? connection.user : '<DB_USERNAME>';
      throw new UserError(`${errorMessage(error)}: nothing was restored; create it first (in Immich's stack: docker compose exec database createdb -U ${user} ${missing}), then restore again`, { cause: error });
    });
    log.info({ ...result }, 'restore finished');
    stdout.write(
      `restored ${input}: ${result.statements} statements, ${result.tables} tables, ${result.copiedRows} rows in ${(result.durationMs / 1000).toFixed(1)} s${
        result.checkedAgainstManifest ? ' (checksum verified against manifest.json)' : ''
      }\n`,
    );
    if (result.ownersSkipped !== undefined && result.ownersSkipped.statements > 0) {
      const { statements, roles, restoringUser } = result.ownersSkipped;
      stdout.write(`--no-owner: ${statements} ownership statement(s) skipped (role(s) ${roles.join(', ')}): the objects belong to ${restoringUser}\n`);
    }
    // A dump taken in maintenance mode (Immich's restore-point-* files are) brings the mode back with
    // it: Immich then starts as its maintenance worker only, which looks like a failed restore.
    if ((await maintenanceModeInDatabase(connection, { signal }).catch(() => undefined)) === true) {
      stdout.write(
        "warning: the restored database has Immich's maintenance mode on (the dump was taken in it): Immich will start in maintenance mode; " +
          'end it with docker compose exec immich-server immich-admin disable-maintenance-mode once Immich runs\n',
      );
    }
    return ExitCode.ok;
  },
};

export default command;
