import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { lockFileName } from '../../src/backup/lock.ts';
import { runCli, startCli } from '../support/cli.ts';
import { makeRunFolder } from './helpers.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Issue 13, item 2: a database host that accepts TCP and never answers (a hung NAS, a firewall
 * that swallows packets) must not hang a run: the connect times out (DB_CONNECT_TIMEOUT), and
 * SIGTERM while connecting ends the process within seconds; either way the failure is notified
 * and neither the .partial folder nor the run lock is left behind.
 */
let silent: Server;
let port: number;
const sockets = new Set<Socket>();
let receiver: WebhookReceiver;

before(async () => {
  silent = createServer((socket) => {
    // Accept, read and never answer.
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as AddressInfo).port;
  receiver = await startWebhookReceiver();
});
after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await receiver.close();
});

function env(backupDir: string, extra: Record<string, string>) {
  return {
    BACKUP_DIR: backupDir,
    DB_HOSTNAME: '127.0.0.1',
    DB_PORT: String(port),
    DB_PASSWORD: 'never-sent-anywhere-Qa7',
    KOPIA_ENABLED: 'false',
    CONFIG_FILES: '/nonexistent/compose.yml',
    WEBHOOK_URL: `${receiver.url}/hook`,
    ...extra,
  };
}

test('SIGTERM with a webhook that never answers: the failure is still sent, once, and the process ends before docker stop would kill it (10 s)', { timeout: 60_000 }, async (t) => {
  const hanging = await startWebhookReceiver();
  hanging.respondWith('hang');
  try {
    const backupDir = mkdtempSync(join(tmpdir(), 'hung-db-hook-'));
    const connectionsBefore = sockets.size;
    const running = startCli(['backup'], env(backupDir, { DB_CONNECT_TIMEOUT: '10m', WEBHOOK_URL: `${hanging.url}/hook` }));
    const deadline = Date.now() + 20_000;
    while (sockets.size <= connectionsBefore) {
      assert.ok(Date.now() < deadline, 'the backup never connected');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const signalled = Date.now();
    running.child.kill('SIGTERM');
    const result = await running.exited;
    const seconds = (Date.now() - signalled) / 1000;
    t.diagnostic(`measured: seconds = ${seconds} s (since signalled)`);
    assert.ok(seconds < 9, `ended ${seconds} s after SIGTERM`);
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(hanging.requests.map((request) => (JSON.parse(request.body) as { event: string }).event), ['failure']);
    assertNothingLeft(backupDir);
  } finally {
    await hanging.close();
  }
});

function assertNothingLeft(backupDir: string): void {
  const left = readdirSync(backupDir).filter((name) => name.endsWith('.partial') || name === lockFileName || name.startsWith('immich-'));
  assert.deepEqual(left, [], 'no run folder, .partial folder or lock may be left');
  assert.equal(existsSync(join(backupDir, lockFileName)), false);
}


test('a database that accepts TCP and never answers: backup fails after DB_CONNECT_TIMEOUT, exit 1, failure notified', { timeout: 30_000 }, async (t) => {
  const backupDir = mkdtempSync(join(tmpdir(), 'hung-db-'));
  const before = receiver.requests.length;
  const started = Date.now();
  const result = await runCli(['backup'], env(backupDir, { DB_CONNECT_TIMEOUT: '2s' }));
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`measured: seconds = ${seconds} s (since started)`);
  assert.equal(result.code, 1, result.stderr);
  assert.ok(seconds >= 2 && seconds < 15, `ended after ${seconds} s`);
  assert.match(result.stdout, /cannot connect to the database at 127\.0\.0\.1:\d+: no answer within 2 s \(DB_CONNECT_TIMEOUT\)/);
  assert.doesNotMatch(result.stdout + result.stderr, /never-sent-anywhere-Qa7/);
  const notified = receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; message: string });
  assert.deepEqual(notified.map((n) => n.event), ['failure']);
  assert.match(notified[0]!.message, /DB_CONNECT_TIMEOUT/);
  assertNothingLeft(backupDir);
});

test('SIGTERM while connecting to a database that never answers: the process ends within 5 s, failure notified, nothing left', { timeout: 30_000 }, async (t) => {
  const backupDir = mkdtempSync(join(tmpdir(), 'hung-db-term-'));
  const before = receiver.requests.length;
  const connectionsBefore = sockets.size;
  const running = startCli(['backup'], env(backupDir, { DB_CONNECT_TIMEOUT: '10m' }));
  // Signal only once the process is in the middle of connecting (its socket reached the listener).
  const deadline = Date.now() + 20_000;
  while (sockets.size <= connectionsBefore) {
    assert.ok(Date.now() < deadline, 'the backup never connected');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const signalled = Date.now();
  running.child.kill('SIGTERM');
  const result = await running.exited;
  const seconds = (Date.now() - signalled) / 1000;
  t.diagnostic(`measured: seconds = ${seconds} s (since signalled)`);
  assert.ok(seconds < 5, `ended ${seconds} s after SIGTERM`);
  assert.equal(result.signal, null, 'the process must end by itself, not be killed by the signal');
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /interrupted by SIGTERM/);
  const notified = receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; message: string });
  assert.deepEqual(notified.map((n) => n.event), ['failure']);
  assert.match(notified[0]!.message, /SIGTERM/);
  assertNothingLeft(backupDir);
});

test('verify against a database that never answers: VERIFY_TIMEOUT ends the restore test, reported failed and notified', { timeout: 30_000 }, async (t) => {
  const backupDir = mkdtempSync(join(tmpdir(), 'hung-db-verify-'));
  makeRunFolder(backupDir, new Date(Date.now() - 3_600_000), 'good');
  const before = receiver.requests.length;
  const started = Date.now();
  const result = await runCli(['verify'], env(backupDir, { DB_CONNECT_TIMEOUT: '10m', VERIFY_TIMEOUT: '2s' }));
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`measured: seconds = ${seconds} s (since started)`);
  assert.equal(result.code, 1, result.stderr);
  assert.ok(seconds < 15, `ended after ${seconds} s`);
  assert.match(result.stdout, /problem: restore test failed: the restore test did not finish within 2 s \(VERIFY_TIMEOUT\)/);
  const notified = receiver.requests.slice(before).map((request) => JSON.parse(request.body) as { event: string; message: string });
  assert.deepEqual(notified.map((n) => n.event), ['failure']);
  assert.match(notified[0]!.message, /VERIFY_TIMEOUT/);
});
