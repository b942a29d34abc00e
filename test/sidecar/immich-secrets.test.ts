import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { runCli } from '../support/cli.ts';
import { immichBookkeepingSql, startPostgres } from '../support/postgres.ts';

/**
 * Immich reads DB_URL, DB_HOSTNAME, DB_DATABASE_NAME, DB_USERNAME and DB_PASSWORD from `NAME_FILE`
 * (server/bin/start.sh: the file wins, `$(< file)` drops every trailing newline). A stack that
 * keeps its database login in Docker secrets, with example.env's DB_USERNAME=postgres,
 * DB_PASSWORD=postgres and DB_DATABASE_NAME=immich still in .env, must be dumped as Immich logs in.
 */
test("Immich's DB_*_FILE secrets win over .env's leftovers, as in Immich; a password with @ : / % # ? & ' and spaces works", async () => {
  const server = await startPostgres('16');
  try {
    const password = "p@ss:w/rd%20#?&' x";
    await server.query('postgres', `CREATE ROLE photos_owner LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
    await server.query('postgres', 'CREATE DATABASE photos OWNER photos_owner');
    const owner = new pg.Client({ host: server.host, port: server.port, user: 'photos_owner', password, database: 'photos' });
    await owner.connect();
    await owner.query(`CREATE TABLE asset (id integer PRIMARY KEY); INSERT INTO asset SELECT generate_series(1, 10); ${immichBookkeepingSql}`);
    await owner.end();

    const secrets = mkdtempSync(join(tmpdir(), 'immich-secrets-'));
    // Written by `echo` and an editor: trailing newlines, one or two.
    writeFileSync(join(secrets, 'db_username'), 'photos_owner\n\n');
    writeFileSync(join(secrets, 'db_password'), `${password}\n`);
    writeFileSync(join(secrets, 'db_name'), 'photos\n');
    writeFileSync(join(secrets, 'db_hostname'), `${server.host}\n`);
    const output = join(secrets, 'dump.sql.gz');
    const dump = await runCli(['dump', '--output', output], {
      // example.env's values, left in .env
      DB_USERNAME: 'postgres',
      DB_PASSWORD: 'postgres',
      DB_DATABASE_NAME: 'immich',
      DB_HOSTNAME: 'database',
      DB_PORT: String(server.port),
      DB_USERNAME_FILE: join(secrets, 'db_username'),
      DB_PASSWORD_FILE: join(secrets, 'db_password'),
      DB_DATABASE_NAME_FILE: join(secrets, 'db_name'),
      DB_HOSTNAME_FILE: join(secrets, 'db_hostname'),
    });
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stderr, /photos_owner@[^ ]+\/photos/);
    assert.doesNotMatch(dump.stderr + dump.stdout, /p@ss:w\/rd/);
  } finally {
    await server.stop();
  }
});
