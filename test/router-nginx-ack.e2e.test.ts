// The nginx data plane acknowledges a routing-table version (what the server waits for before a
// deploy or scale answers) only once nginx serves it: here nginx refuses a route table (one that
// does not fit in its dictionary: 507), so neither that version nor a later one with the same routes
// may count as served; one it serves afterwards does, with its certificate. Real nginx and openssl;
// the table is given directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startDataPlane } from '../src/router/data-plane.js';
import type { RouterApp } from '../src/router/router-wire.js';
import { freePort } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';
import { waitFor } from './helpers/runs.js';
import { needs } from './helpers/tools.js';

const missing = needs('nginx');

const dyno = async (answer: string) => {
  const srv = http.createServer((_q, res) => res.end(answer));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as AddressInfo).port };
};
const app = (port: number, hostnames: string[] = [], certificates: RouterApp['certificates'] = []): RouterApp => ({ id: 'app-1', name: 'acked', dynos: [{ id: `d${port}`, host: '127.0.0.1', port, name: 'web.1' }], trusted: null, internal: false, hostnames, maintenance: false, certificates });
/** An app whose routes take more than nginx's 32 MB dictionary: 700 names, each led to 2,000 dynos (≈ 56 KB a route). */
const huge = (): RouterApp => ({
  id: 'app-2', name: 'huge', trusted: null, internal: false, maintenance: false, certificates: [],
  hostnames: Array.from({ length: 700 }, (_, i) => `www${i}.huge.test`),
  dynos: Array.from({ length: 2000 }, (_, i) => ({ id: `h${i}`, host: '127.0.0.1', port: 10_000 + i, name: `web.${i + 1}` })),
});
/** A request over TLS for `name` (by SNI); its body, or the handshake's error. */
const tlsGet = (port: number, name: string) => new Promise<string>((resolve) => {
  https.get({ host: '127.0.0.1', port, path: '/', servername: name, headers: { host: name }, rejectUnauthorized: false, agent: false }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve(body));
  }).on('error', (e) => resolve(`error: ${e.message}`));
});
const get = (port: number, host = 'acked.localhost') => new Promise<string>((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve(body));
  }).on('error', reject);
});

test('a table nginx refuses is never acknowledged, nor a later version with the same routes; one it serves is', { skip: missing, timeout: 60_000 }, async () => {
  const [x, y] = [await dyno('x'), await dyno('y')];
  const [port, tlsPort] = [await freePort(), await freePort()];
  const table = { version: 1, apps: [app(x.port)] };
  const served: number[] = [];
  const said: string[] = [];
  const dataDir = tempDir('slipway-ack-');
  const [key, crt] = [path.join(dataDir, 'k.pem'), path.join(dataDir, 'c.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=acked.test', '-addext', 'subjectAltName=DNS:acked.test', '-keyout', key, '-out', crt], { stdio: 'ignore' });
  const certificate = { hostname: 'acked.test', id: 'c1', chain: fs.readFileSync(crt, 'utf8'), key: fs.readFileSync(key, 'utf8') };
  const plane = await startDataPlane('nginx', {
    server: 'http://127.0.0.1:1', token: 't', port, tlsPort, host: '127.0.0.1', domain: 'localhost', timeoutMs: 5000, logBufferLines: 100, dataPlane: 'nginx', dataDir,
  }, {
    table: { get version() { return table.version; }, all: () => table.apps, lookup: () => undefined, customHost: () => undefined, certificateFor: () => undefined },
    line: () => {}, wire: () => {}, served: (v) => served.push(v), say: (l) => said.push(l),
  });
  try {
    plane.changed();
    await waitFor('version 1 served', async () => served.includes(1));
    assert.equal(await get(port), 'x');
    // A table nginx refuses: it keeps serving x.
    Object.assign(table, { version: 2, apps: [app(x.port), huge()] });
    plane.changed();
    // Changed again while that one is pending: the same routes under a new version.
    Object.assign(table, { version: 3 });
    plane.changed();
    await waitFor('the refused table to be said', async () => said.some((l) => /nginx's control socket answered 507: the route table does not fit in nginx's dictionary \(www\d+\.huge\.test: no memory\)/.test(l)), 20_000);
    // Whatever follows a refusal at once (the next version's turn) has run by now.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await get(port), 'x', 'nginx still serves');
    assert.match(await tlsGet(tlsPort, 'acked.test'), /^error: /, 'no certificate yet');
    assert.deepEqual(served, [1], 'no version nginx does not serve is acknowledged');
    Object.assign(table, { version: 4, apps: [app(y.port, ['acked.test'], [certificate])] });
    plane.changed();
    await waitFor('version 4 served', async () => served.includes(4), 30_000);
    assert.equal(await tlsGet(tlsPort, 'acked.test'), 'y', 'acknowledged: served, with its certificate');
  } finally {
    await plane.close(true);
    x.srv.close();
    y.srv.close();
  }
});
