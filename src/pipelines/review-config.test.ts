import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveReviewConfig, reviewAppName, reviewAppVars } from './review-config.js';

test('environments.review is laid over the top level, key by key', () => {
  const c = resolveReviewConfig({
    env: { A: 'top', B: { value: 'b' }, S: { generator: 'secret' }, R: { description: 'set by hand', required: true } },
    scripts: { postdeploy: 'node seed.js', test: 'npm test' },
    environments: { review: { env: { A: 'review' }, scripts: { 'pr-predestroy': 'node drop.js' } }, test: { env: { A: 'test' } } },
  });
  assert.equal(c.env['A'], 'review');
  assert.equal(c.env['B'], 'b');
  assert.match(c.env['S']!, /^[0-9a-f]{64}$/);
  assert.equal('R' in c.env, false);
  assert.equal(c.postdeploy, 'node seed.js');
  assert.equal(c.predestroy, 'node drop.js');
  assert.deepEqual(resolveReviewConfig({}), { env: {}, addons: [], postdeploy: undefined, predestroy: undefined });
  assert.deepEqual(resolveReviewConfig({ addons: ['heroku-redis'] }).addons, [{ plan: 'heroku-redis' }]);
  assert.deepEqual(resolveReviewConfig({ addons: ['heroku-redis'], environments: { review: { addons: [{ plan: 'heroku-postgresql', as: 'DB' }] } } }).addons, [{ plan: 'heroku-postgresql', as: 'DB' }]);
});

test('review app names are valid app names, shortened when the pipeline name is long', () => {
  assert.equal(reviewAppName('shop', 7), 'shop-pr-7');
  assert.equal(reviewAppName('a-very-long-pipeline-name-here', 12345), 'a-very-long-pipeline-pr-12345');
  assert.equal(reviewAppName('abcdefghijklmnopqrstuvwx-yz', 1), 'abcdefghijklmnopqrstuvwx-pr-1', 'no double dash where the cut falls on one');
  assert.deepEqual(reviewAppVars('shop-pr-7', 'feature', 7), { HEROKU_APP_NAME: 'shop-pr-7', HEROKU_BRANCH: 'feature', HEROKU_PR_NUMBER: '7' });
});
