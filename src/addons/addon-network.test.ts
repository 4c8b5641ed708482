import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placedUrl, placeAddon, relayAddon, urlHost } from './addon-network.js';

test('a relay\'s address and port go into the URL; credentials and database stay', () => {
  const place = { host: '100.81.0.1', port: 40001, release: async () => {} };
  assert.equal(placedUrl('postgres://u:p%40ss@127.0.0.1:5432/db_1', place), 'postgres://u:p%40ss@100.81.0.1:40001/db_1');
  assert.equal(placedUrl('postgres://u@127.0.0.1:5432/db', { host: '127.0.0.1', release: async () => {} }), 'postgres://u@127.0.0.1:5432/db', 'no relay: unchanged');
});

test('where an add-on listened before a restart', () => {
  assert.equal(urlHost('redis://h:secret@100.81.0.7:6379'), '100.81.0.7');
  assert.equal(urlHost('not a url'), undefined);
});

test('on the host network add-ons stay on loopback and the operator\'s server is used directly', async () => {
  assert.equal((await placeAddon(undefined, 'app:a', 'x')).host, '127.0.0.1');
  const direct = await relayAddon(undefined, 'run:r', 'postgres://postgres@db.internal:6543/postgres');
  assert.deepEqual([direct.host, direct.port], ['db.internal', undefined]);
});

test('a relay asks for the port its URL had, so the URL survives a restart', async () => {
  const asked: unknown[] = [];
  const network = {
    forAddon: async () => undefined,
    relayFor: async (group: string, target: { host: string; port: number }, port?: number) => { asked.push([group, target, port]); return { address: '100.81.0.1', port: port || 40000, release: async () => {} }; },
  };
  const p = await relayAddon(network, 'app:a', 'postgres://postgres@127.0.0.1/postgres', 'postgres://u@100.81.0.1:41234/db');
  assert.deepEqual(asked, [['app:a', { host: '127.0.0.1', port: 5432 }, 41234]]);
  assert.deepEqual([p.host, p.port], ['100.81.0.1', 41234]);
});
