// A sandbox whose every command and folder belongs to one tenant's uid (an app's build, release
// phase and dynos; a test run's nodes; an add-on server), so helpers that chown to `sandbox.user`
// (ENV_DIR files, copied buildpacks) give them to that tenant.
import { runHost } from './host.js';
import type { Sandbox } from './sandbox.js';
import type { Tenant } from './user.js';

/** `s` scoped to `tenant`; with no tenant (tenant uids off, or not root) `s` itself. */
export function forTenant(s: Sandbox, tenant: Tenant | undefined): Sandbox {
  if (!tenant || process.getuid?.() !== 0) return s;
  return {
    mode: s.mode, warning: s.warning,
    user: { name: `uid ${tenant.uid}`, uid: tenant.uid, gid: tenant.gid },
    ownedDir: (d, t) => s.ownedDir(d, t ?? tenant),
    run: (spec) => s.run({ ...spec, tenant: spec.tenant ?? tenant }),
    start: (spec) => s.start({ ...spec, tenant: spec.tenant ?? tenant }),
    adopt: (a) => s.adopt(a),
  };
}

/** Give a tree to `ids` (root only); links themselves, never what they point at (`-h`, no traversal). */
export async function chownTree(dir: string, ids: Tenant): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const r = await runHost('chown', ['-R', '-h', '-P', `${ids.uid}:${ids.gid}`, '--', dir]);
  if (r.exitCode !== 0) throw new Error(`giving ${dir} to uid ${ids.uid} failed: ${r.stderr.trim()}`);
}
