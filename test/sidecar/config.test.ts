import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadKopiaConnection, loadKopiaRestoreConfig, loadSidecarConfig, parseDuration } from '../../src/config.ts';
import { runCli } from '../support/cli.ts';

test('defaults a user would expect', () => {
  const config = loadSidecarConfig({ DB_PASSWORD: 'pw', KOPIA_SERVER_PASSWORD: 'kp' });
  assert.equal(config.schedule, '0 2 * * *');
  assert.equal(config.backupDir, '/backups');
  assert.equal(config.keepDays, 7);
  assert.equal(config.keepMin, 3);
  assert.equal(config.maxAgeMs, 26 * 3_600_000);
  assert.equal(config.httpPort, 8080);
  // Every retention count explicit: nothing inherited from Kopia's global policy (latest 10, hourly 48, annual 3).
  assert.deepEqual(config.kopia.retention, { keepLatest: 0, keepHourly: 0, keepDaily: 30, keepWeekly: 12, keepMonthly: 12, keepAnnual: 0 });
  assert.equal(config.kopia.connectTimeoutMs, 5 * 60_000);
  assert.equal(config.kopia.backupsPath, '/backups');
  assert.equal(config.kopia.libraryPath, '/library');
  assert.equal(config.kopia.connection.url, 'http://kopia:51515');
  assert.deepEqual(config.configFiles, ['/config/docker-compose.yml', '/config/.env']);
  assert.equal(config.notify.onSuccess, true);
  assert.equal(config.notify.onStart, false);
  assert.equal(config.database.connection.connectionTimeoutMillis, 30_000);
  assert.equal(config.dumpTimeoutMs, 6 * 3_600_000);
  assert.equal(config.dumpStallTimeoutMs, 10 * 60_000);
});

test('durations, lists and fingerprints are parsed', () => {
  assert.equal(parseDuration('90m'), 5_400_000);
  assert.equal(parseDuration('2d'), 172_800_000);
  assert.equal(parseDuration('500ms'), 500);
  // A bare number has no meaning we could guess safely (NOTIFY_TIMEOUT=10 once meant ten hours).
  assert.equal(parseDuration('26'), undefined);
  assert.throws(
    () => loadSidecarConfig({ DB_PASSWORD: 'pw', KOPIA_ENABLED: 'false', NOTIFY_TIMEOUT: '10', BACKUP_MAX_AGE: '26' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /NOTIFY_TIMEOUT: must be a duration with its unit, such as 10s/.test(error.message) &&
      /BACKUP_MAX_AGE: must be a duration with its unit, such as 26h/.test(error.message),
  );
  assert.equal(parseDuration('0h'), undefined);
  const config = loadSidecarConfig({
    DB_PASSWORD: 'pw',
    KOPIA_ENABLED: 'false',
    CONFIG_FILES: '/a/docker-compose.yml, /a/.env',
    BACKUP_MAX_AGE: '50h',
    KOPIA_SERVER_CERT_FINGERPRINT: `AB:${'cd'.repeat(31)}`,
  });
  assert.deepEqual(config.configFiles, ['/a/docker-compose.yml', '/a/.env']);
  assert.equal(config.maxAgeMs, 50 * 3_600_000);
  assert.equal(config.kopia.enabled, false);
  assert.equal(config.kopia.connection.fingerprint, `ab${'cd'.repeat(31)}`);
});

test('secrets come from *_FILE like Docker secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-config-'));
  writeFileSync(join(dir, 'kopia'), 'kopia-secret\n');
  writeFileSync(join(dir, 'hook'), 'https://hooks.example.com/abc\n');
  const config = loadSidecarConfig({
    DB_PASSWORD: 'pw',
    KOPIA_SERVER_PASSWORD_FILE: join(dir, 'kopia'),
    WEBHOOK_URL_FILE: join(dir, 'hook'),
  });
  assert.equal(config.kopia.connection.password, 'kopia-secret');
  assert.equal(config.notify.webhookUrl, 'https://hooks.example.com/abc');
});

test('every bad variable is listed at once, without echoing secret values', () => {
  assert.throws(
    () =>
      loadSidecarConfig({
        BACKUP_SCHEDULE: 'every night',
        TZ: 'Mars/Olympus_Mons',
        BACKUP_KEEP_DAYS: '-1',
        BACKUP_KEEP_MIN: '0',
        BACKUP_MAX_AGE: 'soon',
        HTTP_PORT: '99999',
        WEBHOOK_URL: 'hooks.example.com/SECRETPATH',
        GOTIFY_URL: 'https://gotify.example.com',
        DB_PORT: 'five',
        KOPIA_SERVER_PASSWORD_FILE: '/nonexistent/secret',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const names = error.problems.map((problem) => problem.split(':')[0]);
      for (const name of [
        'BACKUP_SCHEDULE',
        'TZ',
        'BACKUP_KEEP_DAYS',
        'BACKUP_KEEP_MIN',
        'BACKUP_MAX_AGE',
        'HTTP_PORT',
        'WEBHOOK_URL',
        'GOTIFY_TOKEN',
        'DB_PORT',
        'DB_PASSWORD',
        'KOPIA_SERVER_PASSWORD_FILE',
      ]) {
        assert.ok(names.includes(name), `${name} missing from:\n${error.message}`);
      }
      assert.equal(new Set(error.problems).size, error.problems.length, 'no problem listed twice');
      assert.doesNotMatch(error.message, /SECRETPATH/);
      return true;
    },
  );
});

test('the CLI refuses a bad configuration before doing anything, listing every problem (exit 78)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-config-cli-'));
  const result = await runCli(['backup'], {
    BACKUP_DIR: dir,
    BACKUP_SCHEDULE: '61 * * * *',
    BACKUP_KEEP_DAYS: 'seven',
    WEBHOOK_URL: 'not a url',
  });
  assert.equal(result.code, 78, result.stderr);
  assert.match(result.stderr, /BACKUP_SCHEDULE/);
  assert.match(result.stderr, /BACKUP_KEEP_DAYS/);
  assert.match(result.stderr, /WEBHOOK_URL/);
  assert.match(result.stderr, /DB_PASSWORD/);
  assert.match(result.stderr, /KOPIA_SERVER_PASSWORD/);
});

test('the sidecar and the restore-library command read the Kopia connection the same way', () => {
  const env = {
    DB_PASSWORD: 'pw',
    KOPIA_SERVER_URL: 'https://backup-host:51515/',
    KOPIA_SERVER_USERNAME: 'immich',
    KOPIA_SERVER_PASSWORD: 'kp',
    KOPIA_SERVER_CERT_FINGERPRINT: `AB:CD ${'ef'.repeat(30)}`,
  };
  const expected = { url: 'https://backup-host:51515', username: 'immich', password: 'kp', fingerprint: `abcd${'ef'.repeat(30)}` };
  assert.deepEqual(loadKopiaConnection(env), expected);
  const sidecar = loadSidecarConfig(env).kopia.connection;
  assert.deepEqual({ ...sidecar, fingerprint: sidecar.fingerprint }, expected);
  for (const load of [loadKopiaConnection, loadSidecarConfig]) {
    assert.throws(() => load({ ...env, KOPIA_SERVER_URL: 'kopia:51515' }), /KOPIA_SERVER_URL: must be an http:\/\/ or https:\/\/ URL/);
  }
});

test('restore-library reads KOPIA_BACKUPS_PATH and KOPIA_LIBRARY_PATH as the sidecar does: defaults, and a relative path refused', () => {
  const env = { KOPIA_SERVER_PASSWORD: 'kp' };
  const defaults = loadKopiaRestoreConfig(env);
  assert.deepEqual([defaults.backupsPath, defaults.libraryPath], ['/backups', '/library']);
  assert.deepEqual(defaults.connection, loadKopiaConnection(env));
  const set = loadKopiaRestoreConfig({ ...env, KOPIA_BACKUPS_PATH: '/srv/backups', KOPIA_LIBRARY_PATH: '' });
  assert.deepEqual([set.backupsPath, set.libraryPath], ['/srv/backups', '/library']);
  assert.throws(() => loadKopiaRestoreConfig({ ...env, KOPIA_LIBRARY_PATH: 'library' }), (error) => error instanceof ConfigError && /KOPIA_LIBRARY_PATH: must be an absolute path/.test(error.message));
});

test("KOPIA_PASSWORD (the kopia service's name, from immich-backup.env) is the repository password unless KOPIA_REPOSITORY_PASSWORD is set; CONFIG_FILES_OPTIONAL", () => {
  const env = { DB_PASSWORD: 'pw', KOPIA_SERVER_PASSWORD: 'kp', KOPIA_PASSWORD: 'repo-from-kopia-name' };
  assert.equal(loadSidecarConfig(env).kopia.repositoryPassword, 'repo-from-kopia-name');
  assert.equal(loadSidecarConfig({ ...env, KOPIA_REPOSITORY_PASSWORD: 'explicit' }).kopia.repositoryPassword, 'explicit');
  assert.equal(loadSidecarConfig({ DB_PASSWORD: 'pw', KOPIA_SERVER_PASSWORD: 'kp' }).kopia.repositoryPassword, undefined);
  assert.deepEqual(loadSidecarConfig(env).configFilesOptional, []);
  assert.deepEqual(loadSidecarConfig({ ...env, CONFIG_FILES_OPTIONAL: '/config/.env' }).configFilesOptional, ['/config/.env']);
});
