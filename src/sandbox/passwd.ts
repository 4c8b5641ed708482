// /etc/passwd and /etc/group as a tenant sees them: the host's, plus an entry for a tenant uid that
// has none (as Heroku's dynos have `u12345`). Programs that look their own user up (postgres,
// npm via os.userInfo(), whoami) fail without one.
import fs from 'node:fs';
import type { Tenant } from './user.js';

let host: { passwd: string; group: string } | undefined;

const hasId = (file: string, id: number): boolean => file.split('\n').some((l) => l.split(':')[2] === String(id));

/** The host's files with the tenant's own entries added when they are missing (pure; unit-tested). */
export function tenantIdentityFiles(hostPasswd: string, hostGroup: string, ids: Tenant): { passwd: string; group: string } {
  const end = (s: string) => (s === '' || s.endsWith('\n') ? s : s + '\n');
  const name = `u${ids.uid}`;
  return {
    passwd: hasId(hostPasswd, ids.uid) ? hostPasswd : `${end(hostPasswd)}${name}:x:${ids.uid}:${ids.gid}:Slipway tenant:/tmp:/bin/sh\n`,
    group: hasId(hostGroup, ids.gid) ? hostGroup : `${end(hostGroup)}${name}:x:${ids.gid}:\n`,
  };
}

/** The files for `ids`, from the host's files read once (trusted: root's own /etc). */
export function identityFilesFor(ids: Tenant): { passwd: string; group: string } {
  host ??= { passwd: readOr('/etc/passwd'), group: readOr('/etc/group') };
  return tenantIdentityFiles(host.passwd, host.group, ids);
}

function readOr(file: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}
