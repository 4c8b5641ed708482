// Blobs (source tarballs, slugs, archived outputs) where every replica and agent can reach them: one
// interface, a folder or Postgres behind it, chosen in one place (openBlobStore).
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Dialect } from '../store/db.js';
import { FolderBlobs } from './folder-blobs.js';
import { PostgresBlobs } from './postgres-blobs.js';

export interface PutLimit {
  /** Bytes the blob may have; one more and the put fails with `tooLarge()`, keeping nothing. */
  maxBytes: number;
  tooLarge: () => Error;
}

export interface StoredBlob { size: number; checksum: string }

export interface BlobStore {
  readonly kind: 'folder' | 'postgres';
  /** Store `body` under `key` (all or nothing), within `limit`; size and `SHA256:<hex>` checksum. */
  put(key: string, body: Readable, limit: PutLimit): Promise<StoredBlob>;
  /** The blob as a stream, or undefined when there is none. */
  get(key: string): Promise<Readable | undefined>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Keys in the folder `prefix` (such as `slugs/`) and below it, sorted. */
  list(prefix: string): Promise<string[]>;
  /** A file on this host with the blob's bytes, for tools that need a path (tar); undefined when there is none. */
  localFile(key: string): Promise<string | undefined>;
}

// Keys are folders and names of our own making: no `..`, no absolute paths, nothing a user chose.
const KEY = /^[a-z][a-z0-9-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)+$/;

/** Throws on a key that is not of our own shape (a bug, never user input). */
export function checkKey(key: string): string {
  if (!KEY.test(key) || key.split('/').includes('..')) throw new Error(`not a blob key: ${JSON.stringify(key)}`);
  return key;
}

/** `prefix` checked to be a folder of keys (ends with `/`). */
export function folderOf(prefix: string): string {
  if (!prefix.endsWith('/')) throw new Error(`not a blob folder: ${JSON.stringify(prefix)}`);
  checkKey(`${prefix}x`);
  return prefix;
}

/** Blobs under these prefixes are unpacked by sandboxes as a tenant's uid: their files on this host are world-readable. */
export const SANDBOX_READABLE = ['slugs/'];

export interface BlobStoreChoice { kind?: 'folder' | 'postgres'; dataDir: string; store: { db: Kysely<Database>; dialect: Dialect } }

/** The blob store of this server: Postgres when the state store is Postgres (unless told `folder`), the data folder otherwise. */
export function openBlobStore(o: BlobStoreChoice): BlobStore {
  const kind = o.kind ?? (o.store.dialect === 'postgres' ? 'postgres' : 'folder');
  if (kind === 'postgres') {
    if (o.store.dialect !== 'postgres') throw new Error('SLIPWAY_BLOB_STORE=postgres needs DATABASE_URL to be a postgres:// URL'); // config.ts refuses it first
    return new PostgresBlobs(o.store.db, path.join(o.dataDir, 'blob-cache'));
  }
  // The data folder's own layout (sources/, slugs/), so data folders of earlier versions keep their blobs.
  return new FolderBlobs(o.dataDir);
}
