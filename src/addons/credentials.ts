// Add-on credentials, shaped like Heroku's: random user and database names, a long random password,
// and the URL that carries them. Servers are given only hashes (SCRAM verifiers, SHA-256), so
// nothing on their disk or in their argv reveals a password.
import crypto from 'node:crypto';

const hex = (bytes: number): string => crypto.randomBytes(bytes).toString('hex');

export interface PostgresCredentials { user: string; password: string; database: string }

/** A new role, password and database name for one Postgres add-on (Heroku: u…, p…, d…). */
export function newPostgresCredentials(): PostgresCredentials {
  return { user: `u${hex(7)}`, password: `p${hex(32)}`, database: `d${hex(7)}` };
}

/** A new Redis password (Heroku: p…). */
export const newRedisPassword = (): string => `p${hex(32)}`;

/** The SCRAM-SHA-256 verifier Postgres stores for `password` (RFC 5802/7677); `salt` only for tests. */
export function scramVerifier(password: string, salt = crypto.randomBytes(16), iterations = 4096): string {
  const salted = crypto.pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => crypto.createHmac('sha256', key).update(text).digest();
  const storedKey = crypto.createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Redis's ACL hash of a password (`#<sha256>` in a `user` rule). */
export const redisPasswordHash = (password: string): string => crypto.createHash('sha256').update(password).digest('hex');

export interface AddonAddress { host: string; port: number }

/**
 * The URL an app sees: `postgres://USER:PASSWORD@HOST:PORT/DB` as on Heroku; for Redis
 * `redis://default:PASSWORD@HOST:PORT` (Heroku leaves the user empty, but redis-cli 7.0 then sends
 * `AUTH "" PASSWORD` and fails; `default` is Redis 6+'s name for that user, and every client takes it).
 */
export function addonUrl(at: AddonAddress, c: { scheme: 'postgres'; user: string; password: string; database: string } | { scheme: 'redis'; password: string }): string {
  const user = c.scheme === 'postgres' ? encodeURIComponent(c.user) : 'default';
  const tail = c.scheme === 'postgres' ? `/${encodeURIComponent(c.database)}` : '';
  return `${c.scheme}://${user}:${encodeURIComponent(c.password)}@${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}${tail}`;
}
