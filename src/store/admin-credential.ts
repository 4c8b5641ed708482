// The first admin credential: SLIPWAY_ADMIN_TOKEN when set (a changed value revokes the old one),
// else a token generated on the first start and printed once.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { countTokens, createToken, revokeOthersNamed } from './tokens.js';
import { ensureBootstrapAdmin } from './users.js';

const ADMIN_TOKEN_NAME = 'admin';

/** The generated admin token when one was made now (to print once), else undefined. */
export async function adminCredential(db: Kysely<Database>, configured: string | undefined): Promise<string | undefined> {
  const admin = await ensureBootstrapAdmin(db);
  if (configured) {
    await createToken(db, ADMIN_TOKEN_NAME, configured, { userId: admin.id });
    await revokeOthersNamed(db, ADMIN_TOKEN_NAME, configured, admin.id);
    return undefined;
  }
  if ((await countTokens(db)) > 0) return undefined;
  return createToken(db, ADMIN_TOKEN_NAME, undefined, { userId: admin.id });
}
