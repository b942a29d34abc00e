import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatPrettyLine, logFormatFor } from '../src/log.ts';
import { formatLocalTime, localIso } from '../src/time.ts';
import { runCli } from './support/cli.ts';

test('LOG_FORMAT: json for the service, readable on a terminal for the other commands, as asked otherwise', () => {
  assert.equal(logFormatFor('serve', {}, true), 'json');
  assert.equal(logFormatFor('backup', {}, true), 'pretty');
  assert.equal(logFormatFor('backup', {}, false), 'json');
  assert.equal(logFormatFor('serve', { LOG_FORMAT: 'pretty' }, false), 'pretty');
  assert.equal(logFormatFor('backup', { LOG_FORMAT: 'JSON' }, true), 'json');
});

test('a pretty line: local time with offset, level, message, then the fields', () => {
  const line = formatPrettyLine({
    level: 40,
    time: '2027-10-31T02:30:05.123+02:00',
    service: 'immich-backup',
    pid: 7,
    msg: 'step dump failed',
    runId: 'immich-20271031_023000',
    error: 'connect ECONNREFUSED',
    figures: { rows: 3 },
  });
  assert.equal(line, '02:30:05+02:00 WARN  step dump failed  runId=immich-20271031_023000 error="connect ECONNREFUSED" figures={"rows":3}\n');
});

test("times for people are in TZ with the offset, the same instant on both sides of the fall-back hour told apart", () => {
  assert.equal(formatLocalTime('2027-10-31T00:30:00Z', 'Europe/Berlin'), '2027-10-31 02:30:00 +02:00');
  assert.equal(formatLocalTime('2027-10-31T01:30:00Z', 'Europe/Berlin'), '2027-10-31 02:30:00 +01:00');
  assert.equal(localIso('2027-01-01T12:00:00Z', 'UTC'), '2027-01-01T12:00:00.000+00:00');
});

test('the CLI logs in TZ: JSON records carry the local time with its offset; LOG_FORMAT=pretty prints readable lines', async () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'log-'));
  const env = {
    TZ: 'Asia/Kolkata',
    BACKUP_DIR: backupDir,
    DB_PASSWORD: 'secret-not-printed',
    DB_HOSTNAME: '127.0.0.1',
    DB_PORT: '1',
    KOPIA_ENABLED: 'false',
    LIBRARY_PATH: backupDir,
    CONFIG_FILES_OPTIONAL: '/config/docker-compose.yml,/config/.env',
  };
  const json = await runCli(['backup'], env);
  assert.equal(json.code, 1);
  const records = json.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { time: string; msg: string });
  assert.ok(records.some((record) => record.msg === 'step dump failed'), json.stderr);
  for (const record of records) assert.match(record.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+05:30$/);
  assert.match(json.stdout, /^FAILED: run immich-\d{8}_\d{6} \(exit 1\), started \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+05:30, /);

  const pretty = await runCli(['backup'], { ...env, LOG_FORMAT: 'pretty' });
  assert.equal(pretty.code, 1);
  assert.match(pretty.stderr, /^\d{2}:\d{2}:\d{2}\+05:30 ERROR step dump failed  runId=immich-\d{8}_\d{6} step=dump error="cannot connect/m);
  assert.doesNotMatch(pretty.stderr, /^\{/m);
  assert.doesNotMatch(pretty.stderr + json.stderr, /secret-not-printed/);
});
