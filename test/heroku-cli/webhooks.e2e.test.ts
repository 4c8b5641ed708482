// App webhooks end to end: the official heroku CLI's `webhooks:*` (and slipway's) against the real
// server; a loopback receiver checks each delivery's Heroku-Webhook-Hmac-SHA256 with the secret;
// a sync webhook whose receiver fails once is retried, a notify webhook is not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { cli, api } from '../helpers/server.js';
import { waitFor } from '../helpers/runs.js';
import { exampleRepo } from '../helpers/apps.js';
import { startHerokuServer, heroku, type HerokuServer } from './helpers.js';

interface Delivery { path: string; headers: http.IncomingHttpHeaders; raw: string; body: { resource: string; action: string; data: Record<string, unknown>; webhook_metadata: { event: { include: string }; delivery: { id: string } } }; answered: number }
interface DeliveryJson { id: string; status: string; num_attempts: number; event: { include: string }; last_attempt: { code: number } | null }

let s: HerokuServer;
let receiver: http.Server;
let hookUrl: string;
const got: Delivery[] = [];
const failFirst = new Set(['/sync']); // paths whose first delivery is answered 500
const A = 'wh-app';
const SECRET = 'receiver-secret-1234';
const h = (...args: string[]) => heroku(s, args);

before(async () => {
  receiver = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const path = req.url ?? '';
      const answered = path === '/broken' ? 500 : failFirst.delete(path) ? 503 : 200;
      got.push({ path, headers: req.headers, raw, body: JSON.parse(raw) as Delivery['body'], answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  s = await startHerokuServer();
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
});
after(async () => {
  await s?.stop();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

test('heroku webhooks:add / webhooks / webhooks:deliveries / webhooks:remove; deliveries signed with the secret', { timeout: 120_000 }, async () => {
  const add = await h('webhooks:add', '-a', A, '-i', 'api:release,api:formation', '-l', 'sync', '-u', `${hookUrl}/sync`, '-s', SECRET);
  assert.equal(add.code, 0, add.stderr);
  const generated = await h('webhooks:add', '-a', A, '-i', 'api:release', '-l', 'notify', '-u', `${hookUrl}/broken`);
  assert.equal(generated.code, 0, generated.stderr);
  const shown = /=== Webhooks Signing Secret\s+(\S+)/.exec(generated.stdout);
  assert.ok(shown, `the generated secret is shown once: ${generated.stdout}`);
  const list = await h('webhooks', '-a', A);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${hookUrl}/sync\\s+api:release,api:formation\\s+sync`));
  assert.match(list.stdout, new RegExp(`${hookUrl}/broken\\s+api:release\\s+notify`));

  const bad = await h('webhooks:add', '-a', A, '-i', 'api:deploy', '-l', 'notify', '-u', `${hookUrl}/x`);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown event type\(s\) api:deploy/);
  const file = await api(s, 'POST', `/apps/${A}/webhooks`, { include: ['api:release'], level: 'notify', url: 'file:///etc/passwd' });
  assert.equal(file.status, 422);
  const anonymous = await fetch(`${s.url}/apps/${A}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ include: ['api:release'], level: 'notify', url: `${hookUrl}/x` }) });
  assert.equal(anonymous.status, 401, 'no token, no webhook');

  // A config change is a release: api:release to both, the sync one refused once (503) and retried.
  assert.equal((await h('config:set', 'HELLO=world', '-a', A)).code, 0);
  const sync = await waitFor('the sync delivery to be accepted after a retry', async () => {
    const ok = got.filter((d) => d.path === '/sync' && d.body.resource === 'release');
    return ok.length >= 2 && ok[1]!.answered === 200 ? ok : undefined;
  }, 60_000);
  for (const d of [...sync, ...got.filter((x) => x.path === '/broken')]) {
    const secret: string = d.path === '/sync' ? SECRET : shown![1]!;
    assert.equal(d.headers['heroku-webhook-hmac-sha256'], createHmac('sha256', secret).update(d.raw).digest('base64'), `${d.path}: the signature is the body's HMAC with its webhook's secret`);
    assert.notEqual(d.headers['heroku-webhook-hmac-sha256'], createHmac('sha256', 'another-secret').update(d.raw).digest('base64'));
  }
  assert.deepEqual([sync[0]!.answered, sync[1]!.answered], [503, 200]);
  assert.equal(sync[0]!.body.webhook_metadata.delivery.id, sync[1]!.body.webhook_metadata.delivery.id, 'a retry is the same delivery');
  assert.deepEqual([sync[1]!.body.action, sync[1]!.body.data['version'], sync[1]!.body.data['status'], sync[1]!.body.webhook_metadata.event.include], ['update', 2, 'succeeded', 'api:release']);

  const deliveries = await h('webhooks:deliveries', '-a', A);
  assert.equal(deliveries.code, 0, deliveries.stderr);
  assert.match(deliveries.stdout, /succeeded\s+api:release\s+sync\s+2\s+200/);
  assert.match(deliveries.stdout, /failed\s+api:release\s+notify\s+1\s+500\s+HTTP 500/, 'notify: one attempt, not retried');
  const syncId = sync[1]!.body.webhook_metadata.delivery.id;
  const info = await h('webhooks:deliveries:info', syncId, '-a', A);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /Status:\s+succeeded/);
  assert.match(info.stdout, /"resource": "release"/);
  const events = await h('webhooks:events', '-a', A);
  assert.match(events.stdout, /release\s+update/);
  const failed = (await api<DeliveryJson[]>(s, 'GET', `/apps/${A}/webhook-deliveries?eq[status]=failed`)).json;
  assert.deepEqual(failed.map((d) => [d.event.include, d.num_attempts, d.last_attempt?.code]), [['api:release', 1, 500]]);
  assert.equal(got.filter((d) => d.path === '/broken').length, 1);

  const slipwayList = await cli(s, ['webhooks:deliveries', '-a', A, '--status', 'succeeded']);
  assert.match(slipwayList.stdout, /succeeded\s+api:release\s+sync\s+2\s+200/);

  const id = (await api<Array<{ id: string; url: string }>>(s, 'GET', `/apps/${A}/webhooks`)).json.find((w) => w.url.endsWith('/broken'))!.id;
  const rm = await h('webhooks:remove', id, '-a', A);
  assert.equal(rm.code, 0, rm.stderr);
  const rm2 = await cli(s, ['webhooks:remove', id, '-a', A]);
  assert.notEqual(rm2.code, 0);
  assert.match(rm2.stderr, /has no webhook/);
  const before = got.length;
  assert.equal((await cli(s, ['config:set', 'HELLO=again', '-a', A])).code, 0);
  await waitFor('the next release at the sync receiver', async () => got.slice(before).some((d) => d.path === '/sync' && d.body.data['version'] === 3), 30_000);
  assert.ok(!got.slice(before).some((d) => d.path === '/broken'), 'a removed webhook gets nothing');
  const mine = await cli(s, ['webhooks', '-a', A]);
  assert.match(mine.stdout, /api:release,api:formation\s+sync/);
});

test('dyno, api:dyno and api:app events: a deploy\'s web.1 starting then up, a one-off started, maintenance turned on', { timeout: 180_000 }, async () => {
  const B = 'wh-dynos';
  assert.equal((await cli(s, ['apps:create', B])).code, 0);
  const add = await h('webhooks:add', '-a', B, '-i', 'dyno,api:dyno,api:app', '-l', 'notify', '-u', `${hookUrl}/dynos`, '-s', SECRET);
  assert.equal(add.code, 0, add.stderr);
  const build = await cli(s, ['builds:create', '-a', B], { cwd: exampleRepo('web-app') });
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const mine = () => got.filter((d) => d.path === '/dynos');
  const states = () => mine().filter((d) => d.body.webhook_metadata.event.include === 'dyno' && d.body.data['name'] === 'web.1').map((d) => d.body.data['state']);
  await waitFor('web.1 starting, then up', async () => states().includes('up'), 60_000);
  assert.ok(states().indexOf('starting') < states().indexOf('up'), `in order: ${states().join(', ')}`);
  const oneOff = await api(s, 'POST', `/apps/${B}/dynos`, { command: 'echo hi' });
  assert.equal(oneOff.status, 201);
  await waitFor('the one-off\'s api:dyno event', async () => mine().some((d) => d.body.webhook_metadata.event.include === 'api:dyno' && d.body.action === 'create' && d.body.data['command'] === 'echo hi'), 30_000);
  assert.equal((await h('maintenance:on', '-a', B)).code, 0);
  await waitFor('the api:app event', async () => mine().some((d) => d.body.webhook_metadata.event.include === 'api:app' && d.body.data['maintenance'] === true), 30_000);
  for (const d of mine()) assert.equal(d.headers['heroku-webhook-hmac-sha256'], createHmac('sha256', SECRET).update(d.raw).digest('base64'));
});
