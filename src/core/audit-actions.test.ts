import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditedChange } from './audit-actions.js';

test('config changes name their keys, never their values', () => {
  const c = auditedChange('PATCH', '/apps/:app/config-vars', 200, { SECRET: 'hunter2', OLD: null });
  assert.deepEqual(c, { action: 'config:set', details: { set: ['SECRET'], unset: ['OLD'] } });
  assert.doesNotMatch(JSON.stringify(c), /hunter2/);
});

test('scaling, rollbacks and pushes get their CLI names; other writes their route', () => {
  assert.deepEqual(auditedChange('PATCH', '/apps/:app/formation/:type', 200, { quantity: 2 }), { action: 'ps:scale', details: { updates: [{ quantity: 2 }] } });
  assert.equal(auditedChange('POST', '/:repo/git-receive-pack', 200, undefined)?.action, 'git:push');
  assert.equal(auditedChange('POST', '/hooks/github', 202, {})?.action, 'webhook:delivery');
  assert.deepEqual(auditedChange('POST', '/pipeline-promotions', 201, { pipeline: { id: 'p' }, source: { app: { id: 'qa' } }, targets: [{ app: { id: 'prod' } }] }),
    { action: 'pipelines:promote', details: { source: 'qa', targets: ['prod'] } });
  assert.deepEqual(auditedChange('POST', '/apps/:app/releases', 201, { release: 'r1' }), { action: 'releases:rollback', details: { release: 'r1' } });
  assert.equal(auditedChange('DELETE', '/apps/:app', 200, {})?.action, 'DELETE /apps/:app');
});

test('reads, failures, agent traffic and dashboard forms that call the API are not recorded', () => {
  assert.equal(auditedChange('GET', '/apps/:app', 200, undefined), undefined);
  assert.equal(auditedChange('PATCH', '/apps/:app/config-vars', 404, {}), undefined);
  assert.equal(auditedChange('POST', '/filters/apps', 200, {}), undefined);
  assert.equal(auditedChange('POST', '/agent/v1/jobs/:id/events', 200, {}), undefined);
  assert.equal(auditedChange('POST', '/apps/:app/settings/config', 303, {}), undefined);
  assert.equal(auditedChange('POST', undefined, 404, {}), undefined);
});
