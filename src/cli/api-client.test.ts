import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import { ApiClient } from './api-client.js';

/** A loopback server answering `status` with `body`. */
async function answering(status: number, body: string): Promise<{ url: string; close(): void }> {
  const srv = http.createServer((_req, res) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(body); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, close: () => srv.close() };
}

const collect = (s: PassThrough) => { let t = ''; s.on('data', (c) => { t += c; }); return () => t; };

test('a stream URL answering 410: said on stderr with the server\'s message, nothing on stdout', { timeout: 10_000 }, async () => {
  const srv = await answering(410, JSON.stringify({ id: 'gone', message: 'This output expired; run the command again.' }));
  try {
    const out = new PassThrough(); const err = new PassThrough();
    const [o, e] = [collect(out), collect(err)];
    const ok = await new ApiClient({ url: srv.url, token: 't' }).stream(`${srv.url}/streams/x?sig=secret`, out, err);
    assert.equal(ok, false);
    assert.equal(o(), '');
    assert.equal(e(), `!    Could not follow the output at ${srv.url}/streams/x: HTTP 410: This output expired; run the command again.\n`, 'the signature is not printed');
  } finally { srv.close(); }
});

test('a 200 stream is copied as it is', { timeout: 10_000 }, async () => {
  const srv = await answering(200, 'line 1\nline 2\n');
  try {
    const out = new PassThrough();
    const o = collect(out);
    assert.equal(await new ApiClient({ url: srv.url, token: 't' }).stream(`${srv.url}/s`, out, new PassThrough()), true);
    assert.equal(o(), 'line 1\nline 2\n');
  } finally { srv.close(); }
});
