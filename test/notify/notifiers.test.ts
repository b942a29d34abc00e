import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { notifiersFromConfig, notifyAll } from '../../src/notify/index.ts';
import { loadSidecarConfig } from '../../src/config.ts';
import { captureLog } from '../support/log-capture.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { kopiaFailedRun, successfulRun } from './fixtures.ts';

let receiver: WebhookReceiver;
before(async () => {
  receiver = await startWebhookReceiver();
});
after(async () => {
  await receiver.close();
});
beforeEach(() => {
  receiver.requests.length = 0;
  receiver.respondWith(200);
});

function allNotifiers(secret = 'S3cretTokenValue1234567890') {
  const config = loadSidecarConfig({
    DB_PASSWORD: 'x',
    KOPIA_SERVER_PASSWORD: 'y',
    WEBHOOK_URL: `${receiver.url}/hook/${secret}`,
    NTFY_URL: `${receiver.url}/ntfy/immich-backups`,
    NTFY_TOKEN: 'tk_ntfytoken',
    DISCORD_WEBHOOK_URL: `${receiver.url}/api/webhooks/123/${secret}`,
    SLACK_WEBHOOK_URL: `${receiver.url}/services/T000/B000/${secret}`,
    GOTIFY_URL: `${receiver.url}/gotify/`,
    GOTIFY_TOKEN: 'gotify-app-token',
    HEALTHCHECKS_URL: `${receiver.url}/ping/${secret}`,
    NOTIFY_ON_START: 'true',
  });
  return { notify: config.notify, notifiers: notifiersFromConfig(config.notify) };
}

test('each notifier sends its service format for a success', async () => {
  const { notifiers, notify } = allNotifiers();
  assert.deepEqual(
    notifiers.map((n) => n.name),
    ['webhook', 'ntfy', 'discord', 'slack', 'gotify', 'healthchecks'],
  );
  const { log } = captureLog();
  const results = await notifyAll('success', successfulRun(), { ...notify, notifiers, log });
  assert.ok(results.every((r) => r.ok && r.attempts === 1), JSON.stringify(results));
  assert.equal(receiver.requests.length, 6);
  const byPath = (prefix: string) => {
    const found = receiver.requests.find((r) => r.path.startsWith(prefix));
    assert.ok(found, `nothing sent to ${prefix}`);
    return found;
  };

  const webhook = JSON.parse(byPath('/hook/').body);
  assert.equal(webhook.event, 'success');
  assert.equal(webhook.tool, 'immich-backup');
  assert.equal(webhook.run.runId, 'immich-20261124_020000');
  assert.equal(webhook.run.exitCode, 0);
  assert.equal(webhook.run.dump.rows, 1_204_332);
  assert.equal(webhook.run.snapshots.library.id, 'kd4e5f6');
  assert.match(webhook.message, /1,204,332 rows/);

  const ntfy = byPath('/ntfy/immich-backups');
  assert.match(String(ntfy.headers.title), /Immich backup succeeded/);
  assert.equal(ntfy.headers.authorization, 'Bearer tk_ntfytoken');
  assert.match(ntfy.body, /Kopia library snapshot kd4e5f6/);

  const discord = JSON.parse(byPath('/api/webhooks/').body);
  assert.equal(discord.embeds[0].color, 0x22c55e);
  assert.match(discord.embeds[0].title, /succeeded/);

  const slack = JSON.parse(byPath('/services/').body);
  assert.match(slack.text, /:white_check_mark: \*Immich backup succeeded/);

  const gotify = byPath('/gotify/message');
  assert.equal(gotify.headers['x-gotify-key'], 'gotify-app-token');
  assert.equal(JSON.parse(gotify.body).priority, 4);

  const ping = byPath('/ping/');
  assert.doesNotMatch(ping.path, /\/(start|fail)$/);
});

test('failure: every notifier names the failed step; healthchecks gets /fail', async () => {
  const { notifiers, notify } = allNotifiers();
  const { log } = captureLog();
  await notifyAll('failure', kopiaFailedRun(), { ...notify, notifiers, log });
  assert.equal(receiver.requests.length, 6);
  for (const request of receiver.requests) assert.match(request.body, /kopia-backups/, request.path);
  assert.ok(receiver.requests.some((r) => r.path.startsWith('/ping/') && r.path.endsWith('/fail')));
  const webhook = JSON.parse(receiver.requests.find((r) => r.path.startsWith('/hook/'))!.body);
  assert.equal(webhook.event, 'failure');
  assert.equal(webhook.run.exitCode, 2);
  assert.match(webhook.message, /local backup was kept/);
  assert.equal(JSON.parse(receiver.requests.find((r) => r.path.startsWith('/gotify/'))!.body).priority, 8);
});

test('start goes to ping URLs always, to message notifiers only with NOTIFY_ON_START', async () => {
  const { notifiers, notify } = allNotifiers();
  const { log } = captureLog();
  await notifyAll('start', { ...successfulRun(), status: 'running', exitCode: null }, { ...notify, onStart: false, notifiers, log });
  assert.deepEqual(
    receiver.requests.map((r) => r.path.replace(/[^/]{16,}/, 'X')),
    ['/ping/X/start'],
  );
  receiver.requests.length = 0;
  await notifyAll('success', successfulRun(), { ...notify, onSuccess: false, notifiers, log });
  assert.deepEqual(receiver.requests.length, 1, 'with NOTIFY_ON_SUCCESS=false only the ping URL hears about a success');
});

test('a failing receiver is retried, then logged as a warning with its secret redacted', async () => {
  const secret = 'VerySecretWebhookToken0123456789';
  const { notifiers } = allNotifiers(secret);
  const webhook = notifiers.filter((n) => n.name === 'webhook');
  receiver.respondWith(500, 502, 503, 500);
  const capture = captureLog();
  const [result] = await notifyAll('failure', kopiaFailedRun(), {
    notifiers: webhook,
    onStart: false,
    onSuccess: true,
    timeoutMs: 2000,
    retries: 2,
    backoffMs: 10,
    log: capture.log,
  });
  assert.equal(result?.ok, false);
  assert.equal(result?.attempts, 3);
  assert.equal(receiver.requests.length, 3);
  const warning = capture.records.find((record) => record.level === 40);
  assert.ok(warning, capture.text());
  assert.match(String(warning.url), /\/hook\/redacted/);
  assert.match(String(warning.error), /HTTP 503/, "the last attempt's answer is reported");
  assert.doesNotMatch(capture.text(), new RegExp(secret));
});

test('a retry that succeeds counts as delivered', async () => {
  const { notifiers } = allNotifiers();
  receiver.respondWith(503, 200);
  const { log } = captureLog();
  const [result] = await notifyAll('success', successfulRun(), {
    notifiers: notifiers.filter((n) => n.name === 'slack'),
    onStart: false,
    onSuccess: true,
    timeoutMs: 2000,
    retries: 3,
    backoffMs: 10,
    log,
  });
  assert.deepEqual(result, { notifier: 'slack', ok: true, attempts: 2 });
});

test('a client error (404) is not retried', async () => {
  const { notifiers } = allNotifiers();
  receiver.respondWith(404);
  const { log } = captureLog();
  const [result] = await notifyAll('success', successfulRun(), {
    notifiers: notifiers.filter((n) => n.name === 'discord'),
    onStart: false,
    onSuccess: true,
    timeoutMs: 2000,
    retries: 3,
    backoffMs: 10,
    log,
  });
  assert.equal(result?.attempts, 1);
  assert.equal(result?.ok, false);
});

test('a receiver that never answers or is down costs at most the timeouts, never a hang', async () => {
  const { notifiers } = allNotifiers();
  receiver.respondWith('hang');
  const down = await startWebhookReceiver();
  const downUrl = down.url;
  await down.close();
  const { log } = captureLog();
  const started = Date.now();
  const results = await notifyAll('failure', kopiaFailedRun(), {
    notifiers: [
      ...notifiers.filter((n) => n.name === 'webhook'),
      { ...notifiers.find((n) => n.name === 'slack')!, name: 'down', url: downUrl, request: (n) => ({ ...notifiers[3]!.request(n), url: `${downUrl}/x` }) },
    ],
    onStart: false,
    onSuccess: true,
    timeoutMs: 300,
    retries: 1,
    backoffMs: 10,
    log,
  });
  const elapsed = Date.now() - started;
  assert.deepEqual(
    results.map((r) => [r.notifier, r.ok, r.attempts]),
    [
      ['webhook', false, 2],
      ['down', false, 2],
    ],
  );
  assert.match(results[0]!.error!, /no answer within 300 ms/);
  assert.match(results[1]!.error!, /ECONNREFUSED|connect/i);
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
});

function notifiersWith(env: Record<string, string>) {
  return notifiersFromConfig(loadSidecarConfig({ DB_PASSWORD: 'x', KOPIA_SERVER_PASSWORD: 'y', ...env }).notify);
}

async function send(event: 'start' | 'success' | 'failure' | 'skipped', notifiers: ReturnType<typeof notifiersWith>) {
  const capture = captureLog();
  const results = await notifyAll(event, event === 'failure' ? kopiaFailedRun() : successfulRun(), {
    notifiers,
    onStart: true,
    onSuccess: true,
    timeoutMs: 2000,
    retries: 0,
    log: capture.log,
  });
  return { results, log: capture.text() };
}

test('a target URL with user:password (ntfy or a webhook receiver behind basic auth) is sent with basic auth, not without it; the password is never logged', async () => {
  const url = new URL(receiver.url);
  url.username = 'backup';
  url.password = 'p@ss:w0rd';
  url.pathname = '/hook';
  const { results } = await send('failure', notifiersWith({ WEBHOOK_URL: url.toString() }));
  assert.equal(results[0]?.ok, true);
  const request = receiver.requests[0]!;
  assert.equal(request.headers.authorization, `Basic ${Buffer.from('backup:p@ss:w0rd').toString('base64')}`);
  assert.equal(request.path, '/hook');

  // A receiver refusing it: the warning shows the URL without the password.
  receiver.respondWith(401);
  const refused = await send('failure', notifiersWith({ WEBHOOK_URL: url.toString() }));
  assert.equal(refused.results[0]?.ok, false);
  assert.match(refused.log, /HTTP 401/);
  assert.doesNotMatch(refused.log, /p%40ss|p@ss|w0rd/);
});

test('a password with a % that starts no percent-encoding (50%off) is sent as written, as curl does: it failed every notification with \'URI malformed\'', async () => {
  const hook = receiver.url.replace('http://', 'http://backup:50%off@') + '/hook';
  const { results, log } = await send('failure', notifiersWith({ WEBHOOK_URL: hook }));
  assert.equal(results[0]?.ok, true, results[0]?.error);
  assert.equal(receiver.requests[0]!.headers.authorization, `Basic ${Buffer.from('backup:50%off').toString('base64')}`);
  assert.doesNotMatch(log, /50%off/);
});

test('a ping URL with a query keeps its query: /fail and /start go on the path', async () => {
  const notifiers = notifiersWith({ HEALTHCHECKS_URL: `${receiver.url}/ping/abc?create=1` });
  await send('failure', notifiers);
  await send('start', notifiers);
  assert.deepEqual(
    receiver.requests.map((r) => r.path),
    ['/ping/abc/fail?create=1', '/ping/abc/start?create=1'],
  );
});

test('an Uptime Kuma push URL as Kuma shows it: a failure pushes status=down (it pushed "up", /fail landing in the ping value), success up, start and skipped nothing', async () => {
  const notifiers = notifiersWith({ HEALTHCHECKS_URL: `${receiver.url}/api/push/Xk29dkw0Qa?status=up&msg=OK&ping=` });
  for (const event of ['start', 'failure', 'skipped', 'success'] as const) await send(event, notifiers);
  assert.equal(receiver.requests.length, 2, receiver.requests.map((r) => r.path).join(', '));
  const [failure, success] = receiver.requests.map((r) => new URL(r.path, receiver.url));
  assert.equal(receiver.requests[0]!.method, 'GET');
  assert.equal(failure!.pathname, '/api/push/Xk29dkw0Qa');
  assert.equal(failure!.searchParams.get('status'), 'down');
  assert.match(failure!.searchParams.get('msg') ?? '', /FAILED/);
  assert.equal(success!.searchParams.get('status'), 'up');
});

test('a target that fails is logged without its short secrets: an ntfy topic, an Uptime Kuma push token', async () => {
  receiver.respondWith(404);
  const { log } = await send('failure', notifiersWith({ NTFY_URL: `${receiver.url}/immich-jd`, HEALTHCHECKS_URL: `${receiver.url}/api/push/Xk29dkw0Qa?status=up&msg=OK&ping=` }));
  assert.match(log, /notification could not be sent/);
  assert.doesNotMatch(log, /immich-jd|Xk29dkw0Qa/);
  assert.match(log, /\/api\/push\/redacted/);
});

test('a ping URL whose token is short (Dead Man\'s Snitch: 10 characters) is not logged on /start or /fail: the suffix was taken for the secret', async () => {
  receiver.respondWith(404);
  const notifiers = notifiersWith({ HEALTHCHECKS_URL: `${receiver.url}/c2354d53d2` });
  for (const event of ['start', 'failure'] as const) {
    const { log } = await send(event, notifiers);
    assert.match(log, /notification could not be sent/);
    assert.doesNotMatch(log, /c2354d53d2/, event);
    assert.match(log, new RegExp(`/redacted/${event === 'start' ? 'start' : 'fail'}`), event);
  }
});

test('a ping URL that redirects names where without its short token', async () => {
  const { createServer } = await import('node:http');
  const proxy = createServer((request, response) => {
    request.resume();
    response.writeHead(301, { location: `https://hc.example.net${request.url}` }).end();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (proxy.address() as import('node:net').AddressInfo).port;
    const { results, log } = await send('failure', notifiersWith({ HEALTHCHECKS_URL: `http://127.0.0.1:${port}/c2354d53d2` }));
    assert.equal(results[0]?.ok, false);
    assert.doesNotMatch(`${results[0]?.error} ${log}`, /c2354d53d2/);
    assert.match(String(results[0]?.error), /redirects to https:\/\/hc\.example\.net\/redacted\//);
  } finally {
    proxy.close();
  }
});

test('a target that redirects (http:// sent to https:// by a proxy) fails at once, saying where it redirects and what to set, without following it', async () => {
  const { createServer } = await import('node:http');
  let hits = 0;
  const proxy = createServer((request, response) => {
    hits += 1;
    request.resume();
    response.writeHead(301, { location: `https://ntfy.example.net${request.url}` }).end();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (proxy.address() as import('node:net').AddressInfo).port;
    const capture = captureLog();
    const [result] = await notifyAll('failure', kopiaFailedRun(), {
      notifiers: notifiersWith({ NTFY_URL: `http://127.0.0.1:${port}/immich-jd`, NTFY_TOKEN: 'tk_secret' }),
      onStart: false,
      onSuccess: true,
      timeoutMs: 2000,
      retries: 3,
      backoffMs: 10,
      log: capture.log,
    });
    assert.equal(result?.ok, false);
    assert.equal(hits, 1, 'not retried');
    assert.equal(result?.error, 'HTTP 301: the URL redirects to https://ntfy.example.net/redacted; set the URL it redirects to (redirects are not followed)');
    assert.doesNotMatch(capture.text(), /immich-jd|tk_secret/);
  } finally {
    proxy.close();
  }
});
