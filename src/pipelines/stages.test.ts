import { test } from 'node:test';
import assert from 'node:assert/strict';
import { branchMatches, inferStage, nextStage } from './stages.js';

test('stages are inferred from app name suffixes as the heroku CLI does', () => {
  assert.equal(inferStage('shop-dev'), 'development');
  assert.equal(inferStage('shop-uat'), 'development');
  assert.equal(inferStage('shop-qa'), 'qa');
  assert.equal(inferStage('shop-staging'), 'staging');
  assert.equal(inferStage('shop-stg'), 'staging');
  assert.equal(inferStage('shop-prod'), 'production');
  assert.equal(inferStage('shop-demo'), 'production');
  assert.equal(inferStage('shop'), null);
  assert.equal(inferStage('devshop'), null);
});

test('promotion goes to the next stage that has apps, never to review', () => {
  const all = new Set(['review', 'development', 'qa', 'staging', 'production']);
  assert.equal(nextStage('development', all), 'qa');
  assert.equal(nextStage('development', new Set(['development', 'staging', 'production'])), 'staging');
  assert.equal(nextStage('review', new Set(['review', 'staging'])), 'staging');
  assert.equal(nextStage('qa', new Set(['qa'])), null);
  assert.equal(nextStage('production', all), null);
});

test('branch filters are comma-separated globs; none means every branch', () => {
  assert.equal(branchMatches('main', null), true);
  assert.equal(branchMatches('main', ''), true);
  assert.equal(branchMatches('main', 'main, release/*'), true);
  assert.equal(branchMatches('release/1.2', 'main, release/*'), true);
  assert.equal(branchMatches('feature/x', 'main, release/*'), false);
  assert.equal(branchMatches('a.b', 'a*b'), true);
  assert.equal(branchMatches('axb', 'a.b'), false);
  assert.equal(branchMatches(null, 'main'), false);
});
