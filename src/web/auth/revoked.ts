// Signed-out sessions, kept until they would have expired anyway, so a copied cookie stops working
// at sign-out. Stored in the settings table (no migration needed); expired entries are swept.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

const PREFIX = 'web_session_revoked:';
// Zero-padded so that text comparison orders expiry times in both databases.
const pad = (unixSeconds: number): string => String(unixSeconds).padStart(12, '0');

export async function revokeSession(db: Kysely<Database>, sid: string, exp: number): Promise<void> {
  await db.deleteFrom('settings').where('key', 'like', `${PREFIX}%`).where('value', '<', pad(Math.floor(Date.now() / 1000))).execute();
  await db.insertInto('settings').values({ key: PREFIX + sid, value: pad(exp) }).onConflict((oc) => oc.column('key').doNothing()).execute();
}

export async function isRevoked(db: Kysely<Database>, sid: string): Promise<boolean> {
  return !!(await db.selectFrom('settings').select('key').where('key', '=', PREFIX + sid).executeTakeFirst());
}
