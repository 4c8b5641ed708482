// The host's server programs (Redis, PostgreSQL, nginx…), which a Heroku dyno does not have: a test
// node's commands must not find them, or a suite that starts its own redis-server passes here and
// fails on Heroku. Add-on servers are started outside the node's sandbox and keep them.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from './sandbox.js';

/** Server programs by name, looked up in the host's program folders. */
const SERVER_NAMES = [
  'redis-server', 'redis-sentinel', 'keydb-server', 'valkey-server', 'postgres', 'postmaster', 'initdb', 'pg_ctl', 'pg_ctlcluster', 'pg_createcluster',
  'mysqld', 'mariadbd', 'mongod', 'memcached', 'nginx', 'apache2', 'httpd', 'rabbitmq-server', 'etcd',
];
const PROGRAM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** Each installed PostgreSQL major version keeps its server programs here. */
const POSTGRES_ROOT = '/usr/lib/postgresql';

/** What the lookup needs of the file system (a port, so it is unit-tested on a made-up tree). */
export interface FileLookup {
  /** The file a path names, links resolved; undefined when there is none. */
  realFile(p: string): string | undefined;
  list(dir: string): string[];
}

const hostLookup: FileLookup = {
  realFile: (p) => { try { const r = fs.realpathSync(p); return fs.statSync(r).isFile() ? r : undefined; } catch { return undefined; } },
  list: (dir) => { try { return fs.readdirSync(dir); } catch { return []; } },
};

/** The real files of the host's server programs (each once, whatever links lead to it). */
export function hostServerFiles(fsl: FileLookup = hostLookup): string[] {
  const found = new Set<string>();
  const add = (p: string) => { const r = fsl.realFile(p); if (r) found.add(r); };
  for (const dir of PROGRAM_DIRS) for (const name of SERVER_NAMES) add(path.join(dir, name));
  for (const version of fsl.list(POSTGRES_ROOT)) for (const name of ['postgres', 'postmaster', 'initdb', 'pg_ctl']) add(path.join(POSTGRES_ROOT, version, 'bin', name));
  return [...found].sort();
}

/** `s` whose every command runs without the host's server programs (under bubblewrap; a plain process sandbox cannot hide files). */
export function withoutHostServers(s: Sandbox, files: string[] = hostServerFiles()): Sandbox {
  if (!files.length) return s;
  return {
    mode: s.mode, warning: s.warning, user: s.user,
    ownedDir: (d, t) => s.ownedDir(d, t),
    run: (spec) => s.run({ ...spec, masked: [...(spec.masked ?? []), ...files] }),
    start: (spec) => s.start({ ...spec, masked: [...(spec.masked ?? []), ...files] }),
    adopt: (a) => s.adopt(a),
  };
}
