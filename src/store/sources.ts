import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export async function createSource(db: Kysely<Database>): Promise<string> {
  const id = newId();
  await db.insertInto('sources').values({ id, size: null, checksum: null, created_at: now(), uploaded_at: null }).execute();
  return id;
}

export async function getSource(db: Kysely<Database>, id: string) {
  return db.selectFrom('sources').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function markSourceUploaded(db: Kysely<Database>, id: string, size: number, checksum: string): Promise<void> {
  await db.updateTable('sources').set({ size, checksum, uploaded_at: now() }).where('id', '=', id).execute();
}
