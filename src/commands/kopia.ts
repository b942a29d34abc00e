import { readFile } from 'node:fs/promises';
import { acquireRunLock } from '../backup/lock.ts';
import { loadState, recordRepository } from '../backup/state.ts';
import { loadKopiaConnection } from '../config.ts';
import { ExitCode, UserError } from '../errors.ts';
import { KopiaClient } from '../kopia/client.ts';
import { repositoryFacts } from '../kopia/repository.ts';
import { booleanOption, stringOption, type Command } from './command.ts';

const command: Command = {
  name: 'kopia',
  summary: "Show, accept or change the Kopia server's repository: `kopia status`, `kopia accept`, `kopia connect`.",
  help: [
    'kopia status    what the Kopia server is connected to, and the repository this sidecar backs up to',
    'kopia accept    remember the repository the Kopia server is connected to now as the one to back up to',
    '                (after you connected it yourself with the kopia CLI; runs fail while they disagree)',
    'kopia connect   connect the Kopia server to a Kopia repository server (your vault) and remember it:',
    '  --url https://HOST:PORT     the vault',
    '  --fingerprint HEX           SHA-256 of its TLS certificate (64 hex digits, colons allowed)',
    '  --username USER@HOST        the vault user (kopia server user add USER@HOST on the vault);',
    '                              the snapshots are made as this user and host',
    '  --password-file FILE        that user\'s password (/dev/stdin to pipe it); never on the command line',
    '  --description TEXT          a name for it (shown in notifications and /status)',
    '  --replace                   the server is connected (e.g. to the default local repository):',
    '                              disconnect it first. Without it, a connected server is left alone.',
    '                              If the vault then refuses the connection, the server stays disconnected',
    '                              and runs fail (never fall back): run kopia connect again with the right values.',
    'Uses KOPIA_SERVER_* (as the sidecar) and BACKUP_DIR (where the sidecar remembers its repository).',
  ].join('\n'),
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    fingerprint: { type: 'string' },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    description: { type: 'string' },
    replace: { type: 'boolean' },
  },
  async run({ values, positionals }, { env, log, stdout }) {
    const action = positionals[0];
    if (positionals.length !== 1 || !['status', 'accept', 'connect'].includes(action ?? '')) {
      throw new UserError('usage: immich-backup kopia status|accept|connect [options]', { exitCode: ExitCode.usage });
    }
    const backupDir = env.BACKUP_DIR !== undefined && env.BACKUP_DIR !== '' ? env.BACKUP_DIR : '/backups';
    const client = new KopiaClient(loadKopiaConnection(env));
    try {
      if (action === 'status') {
        const [status, state] = await Promise.all([client.status(), loadState(backupDir, log)]);
        const known = state.repository;
        if (status.connected) {
          const facts = repositoryFacts(status);
          stdout.write(`connected: ${facts.description} (id ${facts.id}), ${facts.offsite ? 'offsite' : 'NOT offsite'}\n`);
          if (known !== undefined && known.id !== facts.id) stdout.write(`warning: this is not the repository the sidecar backs up to\n`);
        } else {
          const problem = status.initTaskID === undefined ? undefined : await client.taskProblem(status.initTaskID);
          stdout.write(`not connected${status.initTaskID === undefined ? '' : ` (still opening its repository${problem === undefined ? '' : `: ${problem}`})`}\n`);
        }
        stdout.write(`the sidecar backs up to: ${known === undefined ? 'nothing yet (the first run decides)' : `${known.description} (id ${known.id})`}\n`);
        return status.connected && (known === undefined || known.id === repositoryFacts(status).id) ? ExitCode.ok : 2;
      }

      // accept and connect change what the runs check against: no run may be going on meanwhile.
      const lock = await acquireRunLock(backupDir, `kopia-${action}`);
      try {
        if (action === 'accept') {
          const status = await client.requireRepository();
          const facts = repositoryFacts(status);
          await recordRepository(backupDir, facts, { log });
          stdout.write(`the sidecar now backs up to ${facts.description} (id ${facts.id}), ${facts.offsite ? 'offsite' : 'NOT offsite'}\n`);
          return ExitCode.ok;
        }
        const url = stringOption(values, 'url');
        const fingerprint = stringOption(values, 'fingerprint')?.replace(/[:\s]/g, '').toLowerCase();
        const user = stringOption(values, 'username');
        const passwordFile = stringOption(values, 'password-file');
        if (url === undefined || !/^https:\/\//.test(url) || !URL.canParse(url)) throw new UserError('--url https://HOST:PORT is required', { exitCode: ExitCode.usage });
        // The URL is remembered and shown (state file, /status, every notification): never with a password in it.
        if (new URL(url).username !== '' || new URL(url).password !== '') {
          throw new UserError('--url must not hold a user name or password: give them with --username and --password-file', { exitCode: ExitCode.usage });
        }
        if (fingerprint === undefined || !/^[0-9a-f]{64}$/.test(fingerprint)) {
          throw new UserError('--fingerprint is required: the SHA-256 of the vault\'s certificate, 64 hex digits', { exitCode: ExitCode.usage });
        }
        const userMatch = /^([^@\s]+)@([^@\s]+)$/.exec(user ?? '');
        if (userMatch === null) throw new UserError('--username USER@HOST is required (the user added on the vault)', { exitCode: ExitCode.usage });
        if (passwordFile === undefined) throw new UserError('--password-file FILE is required', { exitCode: ExitCode.usage });
        let password: string;
        try {
          password = (await readFile(passwordFile, 'utf8')).replace(/\r?\n$/, '');
        } catch (error) {
          throw new UserError(`cannot read --password-file ${passwordFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { exitCode: ExitCode.usage });
        }
        if (password === '') throw new UserError(`--password-file ${passwordFile} is empty`, { exitCode: ExitCode.usage });

        const status = await client.status();
        const replace = booleanOption(values, 'replace');
        if (status.connected || (status.initTaskID !== undefined && status.initTaskID !== '')) {
          const now = status.connected ? repositoryFacts(status).description : 'a repository it is still trying to open';
          if (!replace) {
            throw new UserError(`the Kopia server is connected to ${now}: nothing changed. Pass --replace to disconnect it and connect to ${url}`, { exitCode: 2 });
          }
          log.warn({ current: now, url }, 'disconnecting the Kopia server from its repository, as asked (--replace)');
          if (status.connected) await client.disconnect();
          else await client.cancelTask(status.initTaskID!);
        }
        const description = stringOption(values, 'description');
        const connected = await client.connectToRepositoryServer({
          url,
          fingerprint,
          userName: userMatch[1]!,
          host: userMatch[2]!,
          password,
          // Kopia reports the vault's URL only in this description: keep it there, after the user's label.
          description: description === undefined ? `API Server: ${url}` : `${description} (API Server: ${url})`,
        });
        const facts = repositoryFacts(connected);
        await recordRepository(backupDir, facts, { log });
        stdout.write(
          `connected: ${facts.description} (id ${facts.id}), offsite. The sidecar now backs up there.\n` +
            'The Kopia server opens it again after a restart only with this password: set KOPIA_REPOSITORY_PASSWORD in .env to it,\n' +
            'then recreate the kopia service (docker compose up -d kopia; a restart does not re-read .env).\n',
        );
        return ExitCode.ok;
      } finally {
        await lock.release();
      }
    } finally {
      await client.close();
    }
  },
};

export default command;
