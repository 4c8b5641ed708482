// The real host behind the doctor's checks: the file system, the system PATH, the sandbox user
// and a bubblewrap probe (the sandbox module's own).
import fs from 'node:fs';
import path from 'node:path';
import { createSandbox } from '../sandbox/sandbox.js';
import { resolveSandboxUser } from '../sandbox/user.js';
import { findLuaModules } from '../router/nginx-modules.js';
import type { DoctorConfig, HostFacts } from './checks.js';

// Where the host looks for its programs: never a user's or tenant's PATH.
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** This machine's facts for `runChecks`, as seen by this process. */
export function hostFacts(c: DoctorConfig): HostFacts {
  return {
    isRoot: process.getuid?.() === 0,
    stat(p) {
      try { const st = fs.statSync(p); return { mode: st.mode, isDirectory: st.isDirectory() }; } catch { return undefined; }
    },
    writable(dir) {
      try { fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK); return true; } catch { return false; }
    },
    which(program) {
      for (const dir of SYSTEM_PATH) {
        const p = path.join(dir, program);
        try { fs.accessSync(p, fs.constants.X_OK); if (fs.statSync(p).isFile()) return p; } catch { /* next */ }
      }
      return undefined;
    },
    sandboxUser() {
      try { return { name: resolveSandboxUser(c.sandboxUser).name }; } catch (e) { return { problem: (e as Error).message }; }
    },
    bwrapProblem() {
      const probe = createSandbox({ mode: 'auto', userName: c.sandboxUser, hidden: [], graceMs: 0 });
      // The sandbox's warning also says what it would do instead; here the server stops instead.
      return probe.mode === 'bwrap' ? undefined : (probe.warning ?? 'bubblewrap is not usable').split('; commands run')[0];
    },
    nginxLua: () => findLuaModules() !== undefined,
  };
}
