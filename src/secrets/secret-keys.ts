// Where the secret key comes from: SLIPWAY_SECRET_KEY (with retired keys in
// SLIPWAY_SECRET_KEY_PREVIOUS), else the key file in the data folder, made on first start (0600).
// The key file holds the current key on its first line and keys still being retired below it.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { Keyring, newKeyText, parseKey, SecretKeyError } from '../core/secret-box.js';
import { isPostgresUrl } from '../store/db.js';

export const KEY_FILE = 'secret.key';

/** The server's keys; `ring` changes when the key file's key is rotated. */
export class SecretKeys {
  private constructor(public ring: Keyring, readonly file: string | undefined) {}

  /** The keys of `config` (creating the key file when neither it nor SLIPWAY_SECRET_KEY exists). */
  static load(config: Pick<Config, 'secretKey' | 'secretKeysPrevious' | 'dataDir' | 'databaseUrl'>): SecretKeys {
    // Replicas of a Postgres store each have a data folder of their own: a key file would differ per replica.
    if (!config.secretKey && isPostgresUrl(config.databaseUrl)) {
      throw new SecretKeyError('A Postgres store (DATABASE_URL) is shared by every replica, and they must seal and open secrets with the same key: set SLIPWAY_SECRET_KEY to the same 256-bit key on each (`openssl rand -hex 32`; see docs/security.md)');
    }
    const file = path.join(config.dataDir, KEY_FILE);
    const fromFile = fs.existsSync(file) ? readKeyFile(file) : [];
    if (config.secretKey) {
      // Keys of a key file used before still open what they sealed: moving to SLIPWAY_SECRET_KEY just works.
      const retired = [...config.secretKeysPrevious.map((k, i) => parseKey(k, `SLIPWAY_SECRET_KEY_PREVIOUS (key ${i + 1})`)), ...fromFile];
      return new SecretKeys(new Keyring(parseKey(config.secretKey, 'SLIPWAY_SECRET_KEY'), retired), undefined);
    }
    if (!fromFile.length) {
      fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, `${newKeyText()}\n`, { mode: 0o600, flag: 'wx' });
      return SecretKeys.load(config);
    }
    const retired = [...fromFile.slice(1), ...config.secretKeysPrevious.map((k, i) => parseKey(k, `SLIPWAY_SECRET_KEY_PREVIOUS (key ${i + 1})`))];
    return new SecretKeys(new Keyring(fromFile[0]!, retired), file);
  }

  /** Key file only: a new current key, the old one kept below it until `retire()`. */
  beginRotation(): void {
    if (!this.file) throw new Error('unreachable: rotation of SLIPWAY_SECRET_KEY is by restart');
    const keys = readKeyFile(this.file);
    const next = parseKey(newKeyText(), 'new key');
    writeKeyFile(this.file, [next, ...keys]);
    this.ring = new Keyring(next, keys);
  }

  /** Key file only: drop every key but the current one (once nothing is sealed with them). */
  retire(): void {
    if (!this.file) return;
    const [current] = readKeyFile(this.file);
    writeKeyFile(this.file, [current!]);
    this.ring = new Keyring(current!);
  }
}

function readKeyFile(file: string): Buffer[] {
  const mode = fs.statSync(file).mode & 0o077;
  if (mode) fs.chmodSync(file, 0o600); // a key readable by others is no key: fixed, not trusted to stay so
  return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).map((l, i) => parseKey(l, `${file} (line ${i + 1})`));
}

function writeKeyFile(file: string, keys: Buffer[]): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, keys.map((k) => k.toString('hex')).join('\n') + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
