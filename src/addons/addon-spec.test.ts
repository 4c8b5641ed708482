import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddons } from './addon-spec.js';

test('Heroku plans map to services and config vars', () => {
  assert.deepEqual(parseAddons([{ plan: 'heroku-postgresql:in-dyno' }, { plan: 'heroku-redis' }, { plan: 'heroku-postgresql', as: 'analytics' }]), {
    ok: true,
    addons: [
      { service: 'postgresql', plan: 'heroku-postgresql:in-dyno', name: 'DATABASE' },
      { service: 'redis', plan: 'heroku-redis', name: 'REDIS' },
      { service: 'postgresql', plan: 'heroku-postgresql', name: 'ANALYTICS' },
    ],
  });
});

test('an unknown add-on is refused with its position and what exists', () => {
  const r = parseAddons([{ plan: 'heroku-redis' }, { plan: 'papertrail:choklad' }]);
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /Unknown add-on "papertrail:choklad" at app\.json environments\.test\.addons\[1\].*heroku-postgresql and heroku-redis/);
});

test('two add-ons on one config var are refused', () => {
  const r = parseAddons([{ plan: 'heroku-postgresql' }, { plan: 'heroku-postgresql:in-dyno' }]);
  assert.match((r as { message: string }).message, /DATABASE_URL/);
});
