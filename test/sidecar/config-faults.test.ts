import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDatabaseConfig, loadKopiaConnection, loadSidecarConfig, type Env } from '../../src/config.ts';
import { runCli } from '../support/cli.ts';

/** Issue 13 items 6 and 7: configuration that would leak a password or mislead is refused, saying why. */
const base: Env = { DB_PASSWORD: 'db-secret-value', KOPIA_SERVER_PASSWORD: 'kopia-secret-value' };

function problems(env: Env): string {
  try {
    loadSidecarConfig({ ...base, ...env });
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

test('http:// with the Kopia password: only to the stack-internal name or loopback, unless KOPIA_ALLOW_INSECURE_HTTP=true', () => {
  for (const url of ['http://kopia:51515', 'http://localhost:51515', 'http://127.0.0.1:51515', 'http://[::1]:51515', 'https://backup.example.com:51515']) {
    assert.equal(problems({ KOPIA_SERVER_URL: url }), '', url);
  }
  const remote = problems({ KOPIA_SERVER_URL: 'http://nas.example.com:51515' });
  assert.match(remote, /KOPIA_SERVER_URL: http:\/\/ to nas\.example\.com would send the Kopia password unencrypted over the network: use https:\/\//);
  assert.match(problems({ KOPIA_SERVER_URL: 'http://192.168.1.20:51515' }), /http:\/\/ to 192\.168\.1\.20 would send the Kopia password unencrypted/);
  assert.equal(problems({ KOPIA_SERVER_URL: 'http://nas.example.com:51515', KOPIA_ALLOW_INSECURE_HTTP: 'true' }), '');
  // Local backups only: no Kopia password is sent anywhere.
  assert.equal(problems({ KOPIA_SERVER_URL: 'http://nas.example.com:51515', KOPIA_ENABLED: 'false' }), '');
  // restore-library reads the connection with the same rule.
  assert.throws(() => loadKopiaConnection({ ...base, KOPIA_SERVER_URL: 'http://nas.example.com:51515' }), /unencrypted over the network/);
});

test('a certificate fingerprint with an http:// URL is a configuration error (exit 78 listing it), secrets never echoed', async () => {
  const fingerprint = 'ab'.repeat(32);
  assert.match(
    problems({ KOPIA_SERVER_URL: 'http://kopia:51515', KOPIA_SERVER_CERT_FINGERPRINT: fingerprint }),
    /KOPIA_SERVER_CERT_FINGERPRINT: is set, but KOPIA_SERVER_URL is http:\/\/ \(no TLS, no certificate to pin\)/,
  );
  const cli = await runCli(['backup'], { ...base, KOPIA_SERVER_URL: 'http://kopia:51515', KOPIA_SERVER_CERT_FINGERPRINT: fingerprint, BACKUP_DIR: '/nonexistent-backups' });
  assert.equal(cli.code, 78);
  assert.match(cli.stderr, /invalid configuration:\n\s+- KOPIA_SERVER_CERT_FINGERPRINT: is set, but KOPIA_SERVER_URL is http:\/\//);
  assert.doesNotMatch(cli.stderr, /db-secret-value|kopia-secret-value/);
});

test('BACKUP_SCHEDULE "61 * * * *" names the minute field out of range, not the number of fields', () => {
  assert.match(problems({ BACKUP_SCHEDULE: '61 * * * *' }), /BACKUP_SCHEDULE: the minute field is out of range: 61 \(allowed 0-59\)/);
  assert.match(problems({ BACKUP_SCHEDULE: '0 2 * 13 *' }), /BACKUP_SCHEDULE: the month field is out of range: 13 \(allowed 1-12\)/);
  assert.match(problems({ BACKUP_SCHEDULE: '0 2 * *' }), /BACKUP_SCHEDULE: must be a cron expression with 5 or 6 fields, e\.g\. "0 2 \* \* \*" \(got 4 fields\)/);
  assert.match(problems({ VERIFY_SCHEDULE: '0 25 1 * *' }), /VERIFY_SCHEDULE: the hour field is out of range: 25/);
  assert.equal(problems({ BACKUP_SCHEDULE: '*/15 1-5 * * mon-fri' }), '');
});

test('DB_PORT takes decimal digits only, 1-65535: 0x15AC and 1e3 are refused', () => {
  for (const value of ['0x15AC', '1e3', '5432.0', ' 5432', '0', '65536', '-1']) {
    assert.throws(() => loadDatabaseConfig({ DB_PASSWORD: 'x', DB_PORT: value }), /DB_PORT: must be a port number: decimal digits, 1-65535/, value);
  }
  assert.equal(loadDatabaseConfig({ DB_PASSWORD: 'x', DB_PORT: '5433' }).connection.port, 5433);
  assert.equal(loadDatabaseConfig({ DB_PASSWORD: 'x' }).connection.port, 5432);
  assert.match(problems({ HTTP_PORT: '0x1F90' }), /HTTP_PORT: must be a port number/);
});

test('KOPIA_SERVER_URL with a user and password in it is refused without echoing them: the URL is shown in logs, /healthz and notifications', async () => {
  for (const url of ['https://kopia:s3cretPW@nas.example.com:51515', 'http://kopia:s3cretPW@kopia:51515', 'https://s3cretPW@nas.example.com']) {
    const found = problems({ KOPIA_SERVER_URL: url });
    assert.match(found, /KOPIA_SERVER_URL: must not hold a user name or password: set KOPIA_SERVER_USERNAME and KOPIA_SERVER_PASSWORD/, url);
    assert.doesNotMatch(found, /s3cretPW/);
    assert.throws(() => loadKopiaConnection({ ...base, KOPIA_SERVER_URL: url }), /must not hold a user name or password/);
  }
  const status = await runCli(['status'], { ...base, KOPIA_SERVER_URL: 'https://kopia:s3cretPW@127.0.0.1:9', BACKUP_DIR: '/nonexistent-backups' });
  assert.equal(status.code, 78);
  assert.doesNotMatch(status.stdout + status.stderr, /s3cretPW/);
});

test('DB_HOSTNAME with a port in it (database:5433) is refused saying to use DB_PORT; IPv6 addresses and socket folders are hosts', () => {
  for (const host of ['database:5433', '192.168.1.20:5432']) {
    assert.match(problems({ DB_HOSTNAME: host }), /DB_HOSTNAME: holds a port: give the host alone and the port in DB_PORT/, host);
  }
  for (const host of ['database', 'db.example.com', '::1', 'fd00::5', '/var/run/postgresql']) assert.equal(problems({ DB_HOSTNAME: host }), '', host);
});

test('DB_URL with a password holding / # ? unencoded: exit 78 naming DB_URL and how to encode it, no piece of the password printed', async () => {
  // '/' made it an invalid URL ("Invalid URL", exit 1, no variable named); '#' cut the host out of
  // the password ("cannot connect to the database at ss:5432": a piece of the password printed).
  for (const url of ['postgresql://postgres:se/cret@database:5432/immich', 'postgresql://postgres:p@ss#w0rd@database:5432/immich']) {
    const cli = await runCli(['dump', '--output', '/nonexistent/dump.sql.gz'], { DB_URL: url });
    assert.equal(cli.code, 78, cli.stderr);
    assert.match(cli.stderr, /DB_URL: is not a valid URL: in the user name and password, write @ : \/ # \? % and spaces percent-encoded \(%40 %3A %2F %23 %3F %25 %20\)/);
    assert.doesNotMatch(cli.stderr, /se\/cret|w0rd|ss:5432/);
  }
  assert.match(problems({ VERIFY_DATABASE_URL: 'postgres://u:a#b@scratch/postgres' }), /VERIFY_DATABASE_URL: is not a valid URL of a server for the scratch database/);
  // Encoded, the same password is fine.
  assert.equal(loadDatabaseConfig({ DB_URL: 'postgresql://postgres:p%40ss%23w0rd@database:5432/immich' }).description, 'postgres@database:5432/immich');
});

test('kopia connect --url with user:password in it is refused (exit 64) before anything is remembered or shown', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'kopia-connect-url-'));
  const cli = await runCli(
    ['kopia', 'connect', '--url', 'https://immich:VaultSecret99@vault.example.net:51515', '--fingerprint', 'ab'.repeat(32), '--username', 'immich@immich-kopia', '--password-file', '/dev/null'],
    { ...base, BACKUP_DIR: backupDir, KOPIA_SERVER_URL: 'http://127.0.0.1:9' },
  );
  assert.equal(cli.code, 64, cli.stderr);
  assert.match(cli.stderr, /--url must not hold a user name or password: give them with --username and --password-file/);
  assert.doesNotMatch(cli.stderr + cli.stdout, /VaultSecret99/);
  assert.deepEqual(readdirSync(backupDir), []);
});

test('flags read as written in .env files: True, FALSE, Yes, " no " (a refused KOPIA_ENABLED=False asked for KOPIA_ENABLED=false)', () => {
  const config = loadSidecarConfig({ DB_PASSWORD: 'x', KOPIA_ENABLED: 'False', BACKUP_ON_START: 'TRUE', NOTIFY_ON_SUCCESS: ' no ', NOTIFY_ON_START: 'Yes' });
  assert.equal(config.kopia.enabled, false);
  assert.equal(config.backupOnStart, true);
  assert.equal(config.notify.onSuccess, false);
  assert.equal(config.notify.onStart, true);
  assert.equal(problems({ KOPIA_SERVER_URL: 'http://nas.example.com:51515', KOPIA_ALLOW_INSECURE_HTTP: 'True' }), '');
  assert.match(problems({ BACKUP_ON_START: 'sometimes' }), /BACKUP_ON_START: Invalid option: expected one of .*"yes"/);
});
