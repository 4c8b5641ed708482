import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { checkInclude, signDelivery } from './event-types.js';

test('include takes Heroku\'s event types only, without repeats', () => {
  assert.deepEqual(checkInclude(['api:release', ' api:build', 'api:release']), { ok: true, include: ['api:release', 'api:build'] });
  const bad = checkInclude(['api:release', 'api:deploy']);
  assert.equal(bad.ok, false);
  assert.match((bad as { message: string }).message, /unknown event type\(s\) api:deploy: use api:addon-attachment, .*dyno/);
  assert.equal(checkInclude([' ']).ok, false);
});

test('deliveries are signed as Heroku documents: base64 HMAC-SHA256 of the raw body', () => {
  const body = '{"resource":"release","action":"update"}';
  assert.equal(signDelivery('s3cr3t', body), createHmac('sha256', 's3cr3t').update(body).digest('base64'));
  assert.match(signDelivery('s3cr3t', body), /^[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(signDelivery('s3cr3t', body), signDelivery('s3cr3t', `${body} `));
});
