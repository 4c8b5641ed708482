// The unprivileged user sandboxed commands run as.
import fs from 'node:fs';

export interface SandboxUser { name: string; uid: number; gid: number }

/** Resolve a user name (or numeric uid) from /etc/passwd. When not root, sandboxes run as ourselves. */
export function resolveSandboxUser(name: string): SandboxUser {
  const myUid = process.getuid?.() ?? 0;
  if (myUid !== 0) return { name: 'self', uid: myUid, gid: process.getgid?.() ?? myUid };
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name || uid === name) {
      if (Number(uid) === 0) throw new Error(`The sandbox user "${name}" is root; choose an unprivileged user (SLIPWAY_SANDBOX_USER).`);
      return { name: user!, uid: Number(uid), gid: Number(gid) };
    }
  }
  throw new Error(`The sandbox user "${name}" does not exist. Create it or set SLIPWAY_SANDBOX_USER to an unprivileged user.`);
}

/** The uid/gid one tenant (an app, a test run, an app's add-ons) runs as; needs no passwd entry. */
export interface Tenant { uid: number; gid: number }
