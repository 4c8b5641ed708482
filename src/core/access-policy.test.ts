import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIONS, allowed, normalizePermissions, parseScopes, rolePermissions, visible, type Action, type Grant, type Role } from './access-policy.js';

const g = (permissions: Grant['permissions'], scopes: Grant['scopes'] = ['write'], admin = false): Grant => ({ admin, permissions, scopes });
const row = (grant: Grant, ok: readonly Action[]) => ACTIONS.map((a) => [a, ok.includes(a)] as const).forEach(([a, want]) =>
  assert.equal(allowed(grant, a), want, `${JSON.stringify(grant)} × ${a}`));

test('team roles × actions (write-scoped token)', () => {
  const table: Record<Role, Action[]> = {
    admin: ['view', 'deploy', 'operate', 'manage', 'test:view', 'test:run', 'account:read', 'account:write'],
    member: ['view', 'deploy', 'operate', 'test:view', 'test:run', 'account:read', 'account:write'],
    viewer: ['view', 'test:view', 'account:read', 'account:write'],
  };
  for (const [role, ok] of Object.entries(table)) row(g(rolePermissions(role as Role)), ok);
});

test('collaborator permissions × actions', () => {
  row(g(['view']), ['view', 'test:view', 'account:read', 'account:write']);
  row(g(['view', 'deploy']), ['view', 'deploy', 'test:view', 'test:run', 'account:read', 'account:write']);
  row(g(['view', 'operate']), ['view', 'operate', 'test:view', 'account:read', 'account:write']);
  row(g(['view', 'manage']), ['view', 'manage', 'test:view', 'account:read', 'account:write']);
  row(g([]), ['account:read', 'account:write']);
});

test('token scopes × actions for a Slipway admin (scopes limit even an admin)', () => {
  row(g([], ['write'], true), ACTIONS);
  row(g([], ['read'], true), ['view', 'test:view', 'account:read']);
  row(g([], ['deploy'], true), ['view', 'deploy', 'test:view', 'test:run', 'account:read']);
  row(g([], ['ci'], true), ['test:view', 'test:run']);
  row(g([], ['read', 'ci'], true), ['view', 'test:view', 'test:run', 'account:read']);
  row(g([], [], true), []);
});

test('scopes never add permissions: a ci token of a viewer cannot start a test run', () => {
  row(g(['view'], ['ci']), ['test:view']);
  row(g(['view'], ['deploy']), ['view', 'test:view', 'account:read']);
});

test('visibility: view or admin', () => {
  assert.ok(visible({ admin: true, permissions: [] }));
  assert.ok(visible({ admin: false, permissions: ['view'] }));
  assert.ok(!visible({ admin: false, permissions: [] }));
});

test('collaborator permissions and scopes are parsed strictly', () => {
  assert.deepEqual(normalizePermissions(['deploy']), ['view', 'deploy']);
  assert.deepEqual(normalizePermissions([]), ['view']);
  assert.equal(normalizePermissions(['root']), undefined);
  assert.deepEqual(parseScopes('ci, read'), ['read', 'ci']);
  assert.equal(parseScopes('global'), undefined);
  assert.equal(parseScopes(''), undefined);
});
