// Secrets at rest: AES-256-GCM with a key id in every sealed value, so values sealed under a
// retired key stay readable (while that key is still given) and can be re-sealed under the new one.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** What every sealed value starts with: `sl1:<key id>:<base64url(iv | tag | ciphertext)>`. */
export const SEALED_PREFIX = 'sl1:';

export class SecretKeyError extends Error {}

/** A key as given (64 hex characters or base64 of 32 bytes) → its 32 bytes; throws naming what is wrong. */
export function parseKey(text: string, where: string): Buffer {
  const t = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!bytes || bytes.length !== 32) throw new SecretKeyError(`${where}: not a 256-bit key; give 64 hex characters or base64 of 32 bytes (make one with \`openssl rand -hex 32\`)`);
  return bytes;
}

/** A new random key as 64 hex characters. */
export const newKeyText = (): string => randomBytes(32).toString('hex');

/** The public id of a key: 8 hex characters of a hash of it (never the key). */
export const keyId = (key: Buffer): string => createHash('sha256').update('slipway-key-id\n').update(key).digest('hex').slice(0, 8);

/** The current key seals; every key (current and retired) opens what it sealed. */
export class Keyring {
  readonly currentId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, retired: readonly Buffer[] = []) {
    this.currentId = keyId(current);
    for (const k of [current, ...retired]) if (!this.keys.has(keyId(k))) this.keys.set(keyId(k), k);
    this.current = current;
  }

  private readonly current: Buffer;

  /** The ids of every key this ring opens with, current first. */
  ids(): string[] { return [...this.keys.keys()]; }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.current, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `${SEALED_PREFIX}${this.currentId}:${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The plaintext of a sealed value; a value that is not sealed is returned as it is (rows from before sealing). */
  open(value: string): string {
    if (!value.startsWith(SEALED_PREFIX)) return value;
    const [, kid, data] = value.split(':', 3);
    const key = this.keys.get(kid ?? '');
    if (!key || !data) throw new SecretKeyError(`a secret in the store was sealed with key ${kid}, which this server does not have: give it in SLIPWAY_SECRET_KEY_PREVIOUS (or the key file) until \`slipway secrets:rotate-key\` or a restart has re-sealed every value`);
    const raw = Buffer.from(data, 'base64url');
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }

  /** A key for one purpose (signed URLs, dashboard sessions), derived from the current key: no purpose's key reveals another's. */
  derive(purpose: string): string {
    return Buffer.from(hkdfSync('sha256', this.current, Buffer.alloc(0), `slipway ${purpose}`, 32)).toString('hex');
  }
}
