import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publicErrorId, wantsHeroku } from './error-ids.js';

const H = 'application/vnd.heroku+json; version=3';

test('Heroku clients get Heroku ids; other clients keep Slipway ids', () => {
  assert.equal(publicErrorId('app_not_found', H), 'not_found');
  assert.equal(publicErrorId('pipeline_not_found', 'application/vnd.heroku+json; version=3.pipelines'), 'not_found');
  assert.equal(publicErrorId('name_taken', H), 'conflict');
  assert.equal(publicErrorId('invalid_state', H), 'invalid_params');
  assert.equal(publicErrorId('app_not_found', 'application/json'), 'app_not_found');
  assert.equal(publicErrorId('app_not_found', undefined), 'app_not_found');
});

test('ids Heroku shares pass through unchanged', () => {
  for (const id of ['not_found', 'unauthorized', 'forbidden', 'invalid_params', 'conflict', 'not_supported']) assert.equal(publicErrorId(id, H), id);
});

test('wantsHeroku matches every version=3 variant', () => {
  assert.ok(wantsHeroku('application/vnd.heroku+json; version=3.sdk'));
  assert.ok(!wantsHeroku('text/event-stream'));
});
