// Blobs in Postgres when it is the state store: a row per blob and its bytes in chunks of 1 MiB,
// written in one transaction (all or nothing) and read chunk by chunk, so a large slug never sits
// whole in memory. Tools that need a path get a copy in a cache folder on this host (blobs are
// immutable: a key is written once).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { now } from '../store/db.js';
import { checkKey, folderOf, SANDBOX_READABLE, type BlobStore, type PutLimit, type StoredBlob } from './blob-store.js';
import { meter } from './meter.js';

export const CHUNK_BYTES = 256 * 1024;

export class PostgresBlobs implements BlobStore {
  readonly kind = 'postgres';
  constructor(private db: Kysely<Database>, private cacheDir: string) {}

  async put(key: string, body: Readable, limit: PutLimit): Promise<StoredBlob> {
    checkKey(key);
    const m = meter(limit);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('blob_chunks').where('key', '=', key).execute();
      await trx.deleteFrom('blobs').where('key', '=', key).execute();
      let seq = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (!pendingBytes) return;
        const data = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await trx.insertInto('blob_chunks').values({ key, seq: seq++, data }).execute();
      };
      for await (const chunk of body as AsyncIterable<Buffer>) {
        m.add(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= CHUNK_BYTES) await flush();
      }
      await flush();
      const { size, checksum } = m.result();
      await trx.insertInto('blobs').values({ key, size, checksum, chunks: seq, created_at: now() }).execute();
    });
    return m.result();
  }

  async get(key: string): Promise<Readable | undefined> {
    const row = await this.db.selectFrom('blobs').select(['chunks', 'size']).where('key', '=', checkKey(key)).executeTakeFirst();
    if (!row) return undefined;
    const db = this.db;
    const chunks = Number(row.chunks);
    return Readable.from((async function* () {
      for (let seq = 0; seq < chunks; seq++) {
        const c = await db.selectFrom('blob_chunks').select('data').where('key', '=', key).where('seq', '=', seq).executeTakeFirst();
        if (!c) throw new Error(`blob ${key} was deleted while it was read`);
        yield c.data;
      }
    })(), { objectMode: false });
  }

  async exists(key: string): Promise<boolean> {
    return !!(await this.db.selectFrom('blobs').select('key').where('key', '=', checkKey(key)).executeTakeFirst());
  }

  async delete(key: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('blob_chunks').where('key', '=', checkKey(key)).execute();
      await trx.deleteFrom('blobs').where('key', '=', key).execute();
    });
    fs.rmSync(path.join(this.cacheDir, key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const rows = await this.db.selectFrom('blobs').select('key').where('key', 'like', `${folderOf(prefix).replace(/[%_\\]/g, '\\$&')}%`).orderBy('key').execute();
    return rows.map((r) => r.key);
  }

  async localFile(key: string): Promise<string | undefined> {
    const file = path.join(this.cacheDir, checkKey(key));
    if (fs.existsSync(file) && await this.exists(key)) return file;
    const body = await this.get(key);
    if (!body) return undefined;
    const readable = SANDBOX_READABLE.some((p) => key.startsWith(p));
    fs.mkdirSync(this.cacheDir, { recursive: true, mode: 0o711 });
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: readable ? 0o711 : 0o700 });
    const tmp = `${file}.part-${randomBytes(4).toString('hex')}`;
    try {
      await pipeline(body, fs.createWriteStream(tmp, { mode: readable ? 0o644 : 0o600 }));
      fs.chmodSync(tmp, readable ? 0o644 : 0o600);
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    return file;
  }
}
