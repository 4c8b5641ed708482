// The blob store on both back ends: the data folder and Postgres (chunks streamed, all or nothing).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import pg from 'pg';
import { openStore, type Store } from '../src/store/db.js';
import { openBlobStore, type BlobStore } from '../src/blobs/blob-store.js';
import { postgresAvailable, startPostgres, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

let cluster: PgCluster | undefined;
let dbCounter = 0;
const stores: Store[] = [];

async function freshStore(kind: 'folder' | 'postgres'): Promise<{ store: Store; url?: string }> {
  if (kind === 'folder') {
    const store = await openStore({ dataDir: tempDir('slipway-blobs-') });
    stores.push(store);
    return { store };
  }
  const name = `blobs${process.pid}_${++dbCounter}`;
  const admin = new pg.Client({ connectionString: cluster!.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = cluster!.url.replace(/\/postgres$/, `/${name}`);
  const store = await openStore({ databaseUrl: url, dataDir: '/nonexistent' });
  stores.push(store);
  return { store, url };
}

const tooLarge = () => new Error('too large');
const bytes = (s: string) => Readable.from([Buffer.from(s)]);
const tmpDir = () => tempDir('slipway-blobs-');

before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(async () => { for (const s of stores) await s.close(); cluster?.stop(); });

for (const kind of ['folder', 'postgres'] as const) {
  describe(`blob store: ${kind}`, () => {
    const skip = kind === 'postgres' ? needs('postgres') : false;
    let blobs: BlobStore;
    before(async () => {
      if (skip) return;
      const { store } = await freshStore(kind);
      blobs = openBlobStore({ dataDir: tmpDir(), store });
      assert.equal(blobs.kind, kind, 'chosen by the state store');
    });

    test('put, get, exists, list, delete', { skip, timeout: 30_000 }, async () => {
      const r = await blobs.put('sources/a.tgz', bytes('hello'), { maxBytes: 100, tooLarge });
      assert.deepEqual(r, { size: 5, checksum: 'SHA256:' + createHash('sha256').update('hello').digest('hex') });
      await blobs.put('sources/b.tgz', bytes('world'), { maxBytes: 100, tooLarge });
      await blobs.put('slugs/c.tgz', bytes('slug'), { maxBytes: 100, tooLarge });
      assert.equal(await text((await blobs.get('sources/a.tgz'))!), 'hello');
      assert.equal(await blobs.exists('sources/b.tgz'), true);
      assert.equal(await blobs.get('sources/none.tgz'), undefined);
      assert.deepEqual(await blobs.list('sources/'), ['sources/a.tgz', 'sources/b.tgz']);
      await blobs.delete('sources/a.tgz');
      assert.equal(await blobs.exists('sources/a.tgz'), false);
      assert.deepEqual(await blobs.list('sources/'), ['sources/b.tgz']);
      const file = (await blobs.localFile('slugs/c.tgz'))!;
      assert.equal(fs.readFileSync(file, 'utf8'), 'slug');
      assert.equal(fs.statSync(file).mode & 0o777, 0o644, 'slugs are unpacked by sandboxes as a tenant uid');
      assert.equal(fs.statSync((await blobs.localFile('sources/b.tgz'))!).mode & 0o777, 0o600, 'sources stay private to the server');
    });

    test('over the size bound: refused, nothing kept, an earlier blob under the key untouched', { skip, timeout: 30_000 }, async () => {
      await blobs.put('sources/bound.tgz', bytes('small'), { maxBytes: 10, tooLarge });
      const big = Readable.from([Buffer.alloc(8), Buffer.alloc(8)]);
      await assert.rejects(blobs.put('sources/bound.tgz', big, { maxBytes: 10, tooLarge }), /too large/);
      assert.equal(await text((await blobs.get('sources/bound.tgz'))!), 'small');
      await assert.rejects(blobs.put('sources/new.tgz', Readable.from([Buffer.alloc(11)]), { maxBytes: 10, tooLarge }), /too large/);
      assert.equal(await blobs.exists('sources/new.tgz'), false);
      assert.deepEqual((await blobs.list('sources/')).filter((k) => k.includes('new')), []);
    });

    test('keys that leave the store are refused', { skip, timeout: 10_000 }, async () => {
      for (const key of ['../etc/passwd', 'sources/../../x', '/abs/path', 'sources', 'sources/.hidden', 'Sources/x']) {
        await assert.rejects(blobs.put(key, bytes('x'), { maxBytes: 10, tooLarge }), /not a blob key/, key);
        await assert.rejects(blobs.get(key), /not a blob key/, key);
      }
      await assert.rejects(blobs.list('sources'), /not a blob folder/);
    });
  });
}

describe('blob store: Postgres across replicas', () => {
  const skip = needs('postgres');

  test('a 100 MB blob is streamed in and out in chunks, never whole in memory; another replica reads it', { skip, timeout: 180_000 }, async () => {
    const { url } = await freshStore('postgres');
    const a = openBlobStore({ dataDir: tmpDir(), store: stores.at(-1)! });
    const storeB = await openStore({ databaseUrl: url, dataDir: '/nonexistent' });
    stores.push(storeB);
    const b = openBlobStore({ dataDir: tmpDir(), store: storeB });
    const MB = 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 7);
    const hash = createHash('sha256');
    const body = Readable.from((function* () { for (let i = 0; i < 1600; i++) { hash.update(piece); yield piece; } })());
    let peak = 0;
    const base = process.memoryUsage().rss;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss - base); }, 20);
    let file: string;
    let r: { size: number; checksum: string };
    try {
      r = await a.put('slugs/big.tgz', body, { maxBytes: 200 * MB, tooLarge });
      // Replica B has no copy of its own: it fetches the chunks into its cache.
      file = (await b.localFile('slugs/big.tgz'))!;
    } finally { clearInterval(sampler); }
    assert.equal(r.size, 100 * MB);
    assert.equal(r.checksum, 'SHA256:' + hash.digest('hex'));
    assert.equal(fs.statSync(file).size, 100 * MB);
    const copy = createHash('sha256');
    for await (const c of fs.createReadStream(file)) copy.update(c as Buffer);
    assert.equal('SHA256:' + copy.digest('hex'), r.checksum);
    // Garbage collection lags by tens of MB (V8 collects after ~64 MB of new buffers); a blob held whole would add 100 MB or more.
    assert.ok(peak < 100 * MB, `peak RSS growth while storing and fetching 100 MB: ${Math.round(peak / MB)} MB`);
    console.log(`100 MB blob: peak RSS growth ${Math.round(peak / MB)} MB`);
  });
});
