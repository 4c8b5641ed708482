import { randomUUID, createHash, randomBytes } from 'node:crypto';

/** A new resource id (Heroku uses UUIDs everywhere). */
export const newId = (): string => randomUUID();

export const isUuid = (s: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/** An API token: shown once, stored only as its hash. */
export const newToken = (): string => 'slp_' + randomBytes(24).toString('base64url');

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
