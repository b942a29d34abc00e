import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KopiaClient, KopiaError } from '../../src/kopia/client.ts';
import { startKopiaServer, type KopiaServer } from '../support/kopia.ts';

/**
 * Issue 3, acceptance 5 and 6: every way of not reaching a usable Kopia server gives one clear
 * error in bounded time, and a server killed mid-snapshot ends the wait with an error.
 */
let server: KopiaServer;
let bare: KopiaServer;
const work = mkdtempSync(join(tmpdir(), 'immich-backup-kopia-failures-'));

before(async () => {
  [server, bare] = await Promise.all([startKopiaServer(), startKopiaServer({ withRepository: false })]);
});
after(async () => {
  await Promise.all([server?.destroy(), bare?.destroy()]);
});

async function expectKopiaError(action: () => Promise<unknown>, pattern: RegExp, code: string): Promise<void> {
  const started = Date.now();
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof KopiaError, `a KopiaError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    assert.equal(error.message.includes('\n'), false, 'one line');
    assert.equal(error.message.includes(server.password), false, 'no password in the message');
    assert.equal(error.exitCode, 2);
    return true;
  });
  assert.ok(Date.now() - started < 15_000, `answered in ${Date.now() - started} ms`);
}

test('a wrong certificate fingerprint is refused before any credentials are sent', async () => {
  const client = new KopiaClient({ ...server.connection(), fingerprint: 'ab'.repeat(32) }, { attempts: 1 });
  try {
    await expectKopiaError(() => client.status(), /certificate does not match KOPIA_SERVER_CERT_FINGERPRINT/, 'FINGERPRINT');
  } finally {
    await client.close();
  }
});

test('without a fingerprint, a self-signed certificate is not trusted', async () => {
  const client = new KopiaClient({ ...server.connection(), fingerprint: undefined }, { attempts: 1 });
  try {
    await expectKopiaError(() => client.status(), /not trusted.*KOPIA_SERVER_CERT_FINGERPRINT/, 'TLS');
  } finally {
    await client.close();
  }
});

test('a wrong password is one clear error', async () => {
  const client = new KopiaClient({ ...server.connection(), password: 'wrong-password' }, { attempts: 1 });
  try {
    await expectKopiaError(() => client.status(), /rejected the username or password/, 'UNAUTHORIZED');
  } finally {
    await client.close();
  }
});

test('a server that is down is one clear error, after a few quick retries', async () => {
  const client = new KopiaClient({ ...server.connection(), url: 'https://127.0.0.1:9' }, { attempts: 3 });
  try {
    await expectKopiaError(() => client.status(), /not reachable \(ECONNREFUSED\)/, 'UNREACHABLE');
  } finally {
    await client.close();
  }
});

test('a server without a connected repository is one clear error', async () => {
  const client = new KopiaClient(bare.connection(), { attempts: 1 });
  try {
    await expectKopiaError(() => client.requireRepository(), /has no repository connected/, 'NOT_CONNECTED');
    await expectKopiaError(() => client.snapshot('/tmp'), /has no repository connected/, 'NOT_CONNECTED');
  } finally {
    await client.close();
  }
});

test('a server killed in the middle of a snapshot ends the wait with an error, not a hang', async () => {
  const library = join(work, 'big');
  mkdirSync(library);
  for (let n = 0; n < 40; n += 1) writeFileSync(join(library, `VID_${n}.mp4`), randomBytes(8 * 1024 * 1024));
  const client = new KopiaClient(server.connection(), { pollIntervalMs: 100, unreachableTimeoutMs: 3000, attempts: 2 });
  try {
    await client.ensureSource(library);
    let killed = false;
    const started = Date.now();
    await assert.rejects(
      client.snapshot(library, {
        onProgress: () => {
          if (!killed) {
            killed = true;
            void server.stop({ kill: true });
          }
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof KopiaError);
        // Says what happened and where, not "task … did not finish".
        assert.match(error.message, /^the Kopia server stopped answering \(https:\/\/[^)]+\) for \d+ s: the snapshot of \S+ did not finish$/);
        return true;
      },
    );
    assert.equal(killed, true, 'the snapshot was running when the server was killed');
    assert.ok(Date.now() - started < 30_000, `gave up after ${Date.now() - started} ms`);
  } finally {
    await client.close();
  }
});
