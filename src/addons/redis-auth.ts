// Who may use an add-on Redis: clients with its password (ACL user `default`), and even they may not
// reconfigure the server, load modules, replicate from elsewhere or shut it down.
import fs from 'node:fs';
import path from 'node:path';
import { redisPasswordHash } from './credentials.js';

/** Commands that would let a client reconfigure the server, write files where it chooses, load code or reach other hosts. */
const DENIED = ['config', 'debug', 'module', 'acl', 'replicaof', 'slaveof', 'sync', 'psync', 'failover', 'migrate', 'shutdown'];

/** The auth part of an add-on's redis.conf: only a hash of the password is written. */
export function redisAuthConf(password: string): string {
  return [
    `user default reset on #${redisPasswordHash(password)} ~* &* +@all ${DENIED.map((c) => `-${c}`).join(' ')}`,
    // Redis 7's defaults, kept explicit: no CONFIG SET of dir/dbfilename, no DEBUG, no MODULE, even locally.
    'enable-protected-configs no',
    'enable-debug-command no',
    'enable-module-command no',
    '',
  ].join('\n');
}

/** Where an add-on's auth config lives in its folder. */
export const redisAuthFile = (dir: string): string => path.join(dir, 'redis-auth.conf');

/** Write the auth config into a new add-on folder (never over an existing file or link). */
export function writeRedisAuth(dir: string, password: string): void {
  fs.writeFileSync(redisAuthFile(dir), redisAuthConf(password), { mode: 0o644, flag: 'wx' });
}
