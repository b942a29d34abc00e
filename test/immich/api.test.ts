import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { loadSidecarConfig } from '../../src/config.ts';
import { checkImmich, fetchImmichVersion } from '../../src/immich/api.ts';

/**
 * The Immich API client against a real HTTP server that misbehaves: every request is bounded, a
 * maintenance mode that ends is waited out, and what is not Immich's answer is said so.
 */
let server: Server;
let url: string;
let maintenanceAnswers: boolean[] = [];
let configRequests = 0;

before(async () => {
  server = createServer((request, response) => {
    if (request.url?.startsWith('/hang/')) return; // never answers
    if (request.url === '/huge/api/server/version') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`{"major":2,"minor":5,"patch":6,"padding":"${'x'.repeat(2_000_000)}"}`);
      return;
    }
    if (request.url === '/html/api/server/version') return response.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    if (request.url === '/flip/api/server/config') {
      configRequests += 1;
      const maintenanceMode = maintenanceAnswers.length > 1 ? maintenanceAnswers.shift()! : maintenanceAnswers[0]!;
      return response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ isOnboarded: true, maintenanceMode }));
    }
    if (request.url === '/flip/api/server/version') return response.writeHead(200).end('{"major":3,"minor":1,"patch":0}');
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('an Immich that never answers costs at most the timeout per request: the run goes on with one warning', async () => {
  const started = Date.now();
  const check = await checkImmich({ url: `${url}/hang`, timeoutMs: 400, maintenanceWaitMs: 60_000 });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  assert.equal(check.version, null);
  assert.equal(check.maintenance, false);
  assert.equal(check.warnings.length, 1);
  assert.match(check.warnings[0]!, /did not answer \(\/hang\/api\/server\/version: no answer within 400 ms\)/);
});

test('maintenance mode that ends while the run waits: the run goes on, the wait is recorded', async () => {
  maintenanceAnswers = [true, true, false];
  configRequests = 0;
  const check = await checkImmich({ url: `${url}/flip`, timeoutMs: 1000, maintenanceWaitMs: 10_000, pollMs: 100 });
  assert.equal(check.maintenance, false);
  assert.equal(check.version, '3.1.0');
  assert.deepEqual(check.warnings, []);
  assert.equal(configRequests, 3);
  assert.ok(check.waitedMs >= 150, `waited ${check.waitedMs} ms`);
});

test('maintenance mode that lasts: skipped after the configured wait, not before', async () => {
  maintenanceAnswers = [true];
  const started = Date.now();
  const check = await checkImmich({ url: `${url}/flip`, timeoutMs: 1000, maintenanceWaitMs: 600, pollMs: 100 });
  assert.equal(check.maintenance, true);
  assert.ok(Date.now() - started >= 600);
  assert.match(check.warnings.at(-1)!, /still in maintenance mode .* this run was skipped/);
});

test('an answer that is not Immich\'s (too big, HTML, 404) is refused with a reason', async () => {
  await assert.rejects(fetchImmichVersion({ url: `${url}/huge`, timeoutMs: 5000 }), /answered more than 1000000 bytes/);
  await assert.rejects(fetchImmichVersion({ url: `${url}/html`, timeoutMs: 5000 }), /did not answer JSON/);
  await assert.rejects(fetchImmichVersion({ url: `${url}/nothing`, timeoutMs: 5000 }), /answered HTTP 404/);
});

test('configuration: IMMICH_URL off, a zero maintenance wait, and invalid values listed', () => {
  const base = { DB_PASSWORD: 'x', KOPIA_ENABLED: 'false' };
  const defaults = loadSidecarConfig(base);
  assert.deepEqual(defaults.immich, { url: 'http://immich-server:2283', apiTimeoutMs: 10_000, maintenanceWaitMs: 1_800_000 });
  const custom = loadSidecarConfig({ ...base, IMMICH_URL: 'off', IMMICH_MAINTENANCE_WAIT: '0', IMMICH_BACKUPS_PATH: '/immich-backups' });
  assert.deepEqual(custom.immich, { apiTimeoutMs: 10_000, maintenanceWaitMs: 0, backupsPath: '/immich-backups' });
  assert.throws(
    () => loadSidecarConfig({ ...base, IMMICH_URL: 'immich-server:2283', IMMICH_MAINTENANCE_WAIT: 'soon', IMMICH_BACKUPS_PATH: 'backups' }),
    (error: Error) =>
      /IMMICH_URL: .*must be an http/.test(error.message) && /IMMICH_MAINTENANCE_WAIT: must be 0 or a duration/.test(error.message) && /IMMICH_BACKUPS_PATH: must be an absolute path/.test(error.message),
  );
});
