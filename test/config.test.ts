import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadDatabaseConfig } from '../src/config.ts';

test("Immich's DB_* variables give a connection with Immich's defaults", () => {
  const config = loadDatabaseConfig({ DB_PASSWORD: 'pw' });
  assert.deepEqual(config.connection, { host: 'database', port: 5432, user: 'postgres', password: 'pw', database: 'immich', connectionTimeoutMillis: 30_000 });
  assert.equal(config.description, 'postgres@database:5432/immich');
});

test('DB_PASSWORD_FILE is read like a Docker secret, trailing newline removed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'immich-backup-config-'));
  writeFileSync(join(dir, 'pw'), 's3cret\n');
  const config = loadDatabaseConfig({ DB_PASSWORD_FILE: join(dir, 'pw'), DB_HOSTNAME: 'db' });
  assert.equal(config.connection.password, 's3cret');
});

test('every bad variable is listed at once, and no secret appears in the message', () => {
  assert.throws(
    () => loadDatabaseConfig({ DB_PORT: 'abc', DB_SSL_MODE: 'sometimes', DB_URL: 'mysql://u:hunter2@h/d' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 3, error.message);
      assert.match(error.message, /DB_PORT/);
      assert.match(error.message, /DB_SSL_MODE/);
      assert.match(error.message, /DB_URL/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    },
  );
});

test('a missing password is a configuration error naming DB_PASSWORD', () => {
  assert.throws(() => loadDatabaseConfig({}), /DB_PASSWORD: is required/);
});

test('DB_CONNECT_TIMEOUT reaches every connection and needs its unit (a bare number is refused, not read as hours)', () => {
  assert.equal(loadDatabaseConfig({ DB_PASSWORD: 'pw', DB_CONNECT_TIMEOUT: '5s' }).connection.connectionTimeoutMillis, 5000);
  assert.equal(loadDatabaseConfig({ DB_URL: 'postgresql://u:p@h/d', DB_CONNECT_TIMEOUT: '2m' }).connection.connectionTimeoutMillis, 120_000);
  assert.throws(() => loadDatabaseConfig({ DB_PASSWORD: 'pw', DB_CONNECT_TIMEOUT: '30' }), /DB_CONNECT_TIMEOUT: must be a duration with its unit/);
});
