// The key a test server seals secrets with (its data folder's key file, or the shared test key),
// for tests that read or forge sealed columns in the store directly.
import fs from 'node:fs';
import path from 'node:path';
import { Keyring, parseKey } from '../../src/core/secret-box.js';
import { TEST_SECRET_KEY, type TestServer } from './server.js';

/** The keyring of a test server's store. */
export function storeKeyring(s: Pick<TestServer, 'dataDir' | 'env'>): Keyring {
  const file = path.join(s.dataDir, 'secret.key');
  const key = s.env['SLIPWAY_SECRET_KEY'] || (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n')[0]! : TEST_SECRET_KEY);
  return new Keyring(parseKey(key, 'the test server\'s key'));
}
