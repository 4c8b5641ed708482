// SLIPWAY_TENANT_UIDS: a range clear of system accounts, or off; SLIPWAY_BLOB_STORE; anything else names the variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.js';

test('SLIPWAY_TENANT_UIDS: default range, custom range, off', () => {
  assert.deepEqual(loadConfig({}).tenantUids, { first: 200_000, last: 299_999 });
  assert.deepEqual(loadConfig({ SLIPWAY_TENANT_UIDS: '500000-500009' }).tenantUids, { first: 500_000, last: 500_009 });
  assert.equal(loadConfig({ SLIPWAY_TENANT_UIDS: 'off' }).tenantUids, undefined);
});

test('SLIPWAY_TENANT_UIDS: system uids, reversed, malformed and huge ranges are refused with the variable named', () => {
  for (const bad of ['0-100', '999-2000', '3000-2000', '200000', 'a-b', '1000-4294967295', '']) {
    assert.throws(() => loadConfig({ SLIPWAY_TENANT_UIDS: bad }), (e: Error) => e instanceof ConfigError && /SLIPWAY_TENANT_UIDS: .*not a uid range/.test(e.message), bad);
  }
});

test('SLIPWAY_BLOB_STORE: unset (chosen by the store), folder, postgres only with a Postgres store', () => {
  assert.equal(loadConfig({}).blobStore, undefined);
  assert.equal(loadConfig({ SLIPWAY_BLOB_STORE: 'folder', DATABASE_URL: 'postgres://x@h/db' }).blobStore, 'folder');
  assert.equal(loadConfig({ SLIPWAY_BLOB_STORE: 'postgres', DATABASE_URL: 'postgresql://x@h/db' }).blobStore, 'postgres');
  assert.throws(() => loadConfig({ SLIPWAY_BLOB_STORE: 'postgres' }), (e: Error) => e instanceof ConfigError && /SLIPWAY_BLOB_STORE: .*DATABASE_URL/.test(e.message));
  assert.throws(() => loadConfig({ SLIPWAY_BLOB_STORE: 's3' }), (e: Error) => e instanceof ConfigError && /SLIPWAY_BLOB_STORE/.test(e.message));
});

test('SLIPWAY_ROUTER: auto by default (nginx where installed); node is kept; nginx needs the router process (no in-process companions), TLS router port or not', () => {
  assert.equal(loadConfig({}).router, 'auto');
  assert.equal(loadConfig({ SLIPWAY_ROUTER: 'node' }).router, 'node');
  assert.equal(loadConfig({ SLIPWAY_ROUTER: 'nginx' }).router, 'nginx');
  assert.equal(loadConfig({ SLIPWAY_ROUTER: 'auto', SLIPWAY_COMPANIONS: 'in-process' }).router, 'auto', 'auto inside the server is the Node router');
  assert.throws(() => loadConfig({ SLIPWAY_ROUTER: 'nginx', SLIPWAY_COMPANIONS: 'in-process' }), (e: Error) => e instanceof ConfigError && /SLIPWAY_ROUTER=nginx .*SLIPWAY_COMPANIONS=process/.test(e.message));
  assert.equal(loadConfig({ SLIPWAY_ROUTER: 'nginx', SLIPWAY_ROUTER_TLS_PORT: '0' }).routerTlsPort, 0, 'the router process serves the TLS port on nginx too');
  assert.throws(() => loadConfig({ SLIPWAY_ROUTER: 'haproxy' }), (e: Error) => e instanceof ConfigError && /SLIPWAY_ROUTER/.test(e.message));
});

test('SLIPWAY_SERVER_HEAP: small by default, speed kept, anything else refused with the variable named', () => {
  assert.equal(loadConfig({}).serverHeap, 'small');
  assert.equal(loadConfig({ SLIPWAY_SERVER_HEAP: 'speed' }).serverHeap, 'speed');
  assert.throws(() => loadConfig({ SLIPWAY_SERVER_HEAP: 'tiny' }), (e: Error) => e instanceof ConfigError && /SLIPWAY_SERVER_HEAP/.test(e.message));
});
