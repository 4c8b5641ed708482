// The store with secrets sealed at rest: keys loaded (or the key file made), the store opened with
// the sealing plugin, and every value not yet under the current key re-sealed before anything runs.
import type { Config } from '../config.js';
import type { Logger } from '../app-context.js';
import { openStore, type Store } from '../store/db.js';
import { SecretKeys } from './secret-keys.js';
import { resealAll } from './reseal.js';

/** Open the store for a server: sealed columns encrypted with the key of `config` (or its key file). */
export async function openSealedStore(config: Config, log: Pick<Logger, 'info'>): Promise<{ store: Store; keys: SecretKeys }> {
  const keys = SecretKeys.load(config);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, keyring: () => keys.ring });
  const n = await resealAll(store.db, keys.ring.currentId);
  if (n) log.info(`secrets at rest: sealed ${n} value(s) with key ${keys.ring.currentId}.`);
  return { store, keys };
}

/** Key rotation for a key file (`slipway secrets:rotate-key`): new key, every value re-sealed, old key dropped. */
export async function rotateKeyFile(store: Store, keys: SecretKeys): Promise<{ keyId: string; resealed: number }> {
  keys.beginRotation();
  const resealed = await resealAll(store.db, keys.ring.currentId);
  keys.retire();
  return { keyId: keys.ring.currentId, resealed };
}
