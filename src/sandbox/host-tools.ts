// Every program the host itself runs, resolved once to an absolute path from a fixed system PATH:
// never from a tenant's environment (an app's bin/bwrap must not stand in for the real one).
import fs from 'node:fs';
import path from 'node:path';

export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The environment of a host program started without a more specific one. */
export const HOST_ENV: Readonly<Record<string, string>> = Object.freeze({ PATH: SYSTEM_PATH, LANG: 'C.UTF-8' });

/** The programs Slipway runs on the host by name (anything else must be an absolute path the operator chose). */
export const HOST_TOOLS = ['bwrap', 'setpriv', 'ip', 'bridge', 'nft', 'git', 'tar', 'cp', 'chown', 'nginx', 'openssl', 'redis-server', 'bash', 'sh', 'du', 'prlimit', 'mount', 'umount', 'losetup', 'mkfs.ext4', 'script', 'fallocate'] as const;

const resolved = new Map<string, string>();

/** The first regular, executable file named `name` in `searchPath`, or undefined. */
export function findExecutable(name: string, searchPath: string = SYSTEM_PATH): string | undefined {
  for (const dir of searchPath.split(':')) {
    if (!path.isAbsolute(dir)) continue;
    const file = path.join(dir, name);
    try {
      if (fs.statSync(file).isFile()) { fs.accessSync(file, fs.constants.X_OK); return file; }
    } catch { /* not here */ }
  }
  return undefined;
}

/**
 * The absolute path of a host program. `node` is this process's own binary; absolute paths (the
 * operator's SLIPWAY_PG_BIN programs) are kept; any other name must be one of HOST_TOOLS.
 */
export function hostTool(name: string): string {
  if (path.isAbsolute(name)) return name;
  if (name === 'node') return process.execPath;
  const known = resolved.get(name);
  if (known) return known;
  if (!(HOST_TOOLS as readonly string[]).includes(name)) throw new Error(`"${name}" is not a host program Slipway runs; add it to HOST_TOOLS in src/sandbox/host-tools.ts or give an absolute path.`);
  const file = findExecutable(name);
  if (!file) throw new Error(`${name} was not found in ${SYSTEM_PATH}; install it (Debian package for "${name}").`);
  resolved.set(name, file);
  return file;
}

/** Resolve every host tool once at start-up; returns the ones that are not installed. */
export function resolveHostTools(): string[] {
  const missing: string[] = [];
  for (const name of HOST_TOOLS) {
    try { hostTool(name); } catch { missing.push(name); }
  }
  return missing;
}
