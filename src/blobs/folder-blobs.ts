// Blobs as files under the data folder (the embedded default): `<root>/<key>`, written whole to a
// temporary name and renamed, so a reader never sees half a blob.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { checkKey, folderOf, SANDBOX_READABLE, type BlobStore, type PutLimit, type StoredBlob } from './blob-store.js';
import { meter } from './meter.js';

export class FolderBlobs implements BlobStore {
  readonly kind = 'folder';
  constructor(private root: string) {}

  private file(key: string): string { return path.join(this.root, checkKey(key)); }

  async put(key: string, body: Readable, limit: PutLimit): Promise<StoredBlob> {
    const dest = this.file(key);
    const readable = SANDBOX_READABLE.some((p) => key.startsWith(p));
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: readable ? 0o711 : 0o700 });
    const tmp = `${dest}.part-${randomBytes(4).toString('hex')}`;
    const m = meter(limit);
    try {
      await pipeline(body, m.stream(), fs.createWriteStream(tmp, { mode: 0o600 }));
      if (readable) fs.chmodSync(tmp, 0o644);
      fs.renameSync(tmp, dest);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    return m.result();
  }

  async get(key: string): Promise<Readable | undefined> {
    return (await this.exists(key)) ? fs.createReadStream(this.file(key)) : undefined;
  }

  async exists(key: string): Promise<boolean> { return fs.existsSync(this.file(key)); }

  async delete(key: string): Promise<void> { fs.rmSync(this.file(key), { force: true }); }

  async list(prefix: string): Promise<string[]> {
    const dir = this.file(`${folderOf(prefix)}x`).slice(0, -1);
    const entries = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }) : [];
    return entries.filter((d) => d.isFile() && !d.name.includes('.part-'))
      .map((d) => path.relative(this.root, path.join(d.parentPath, d.name)).split(path.sep).join('/')).sort();
  }

  async localFile(key: string): Promise<string | undefined> {
    return (await this.exists(key)) ? this.file(key) : undefined;
  }
}
