// Hostile repositories and a hostile shared object for the identity attack tests: programs named
// like the host's launchers, and an LD_PRELOAD library that records every process that loads it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commitAll, git } from '../helpers/apps.js';
import { tempDir } from '../helpers/temp.js';

/**
 * A folder on the host (not hidden, read-only inside every sandbox) where a hijacked launcher or a
 * preloaded library leaves a file: anything in it was written by a process outside the sandbox.
 */
export function markerDir(): string {
  const dir = tempDir('slipway-identity-', '/var/tmp');
  fs.chmodSync(dir, 0o777);
  return dir;
}

export const markers = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.startsWith('hijacked-') || f.startsWith('loaded-'));

/** A shared object whose constructor records (uid, program) in `dir` and says it was loaded. */
export function preloadLibrary(dir: string): string {
  const src = path.join(dir, 'evil.c');
  const so = path.join(dir, 'evil.so');
  fs.writeFileSync(src, `#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
__attribute__((constructor)) static void hit(void) {
  char p[600], comm[64] = "unknown";
  int c = open("/proc/self/comm", O_RDONLY);
  if (c >= 0) { int n = read(c, comm, sizeof comm - 1); if (n > 0) comm[n - 1] = 0; close(c); }
  snprintf(p, sizeof p, "${dir}/loaded-uid%d-%s-%d", (int)geteuid(), comm, (int)getpid());
  int fd = open(p, O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) close(fd);
  fprintf(stderr, "preloaded into %s as uid %d\\n", comm, (int)geteuid());
}
`);
  execFileSync('gcc', ['-shared', '-fPIC', '-o', so, src]);
  fs.chmodSync(so, 0o755);
  return so;
}

const hijack = (dir: string) => `#!/bin/sh
name=$(basename "$0")
echo "hijacked $name uid=$(id -u)" > "${dir}/hijacked-$name-$$"
echo "HIJACKED $name uid=$(id -u)"
exit 0
`;

/**
 * An app (and CI project) whose bin/ and node_modules/.bin/ carry bwrap, setpriv and ip, and whose
 * probe says which uid it runs as, whether a host path is writable and whether a nested user
 * namespace can be made.
 */
export function hostileRepo(marks: string): string {
  const dir = tempDir('slipway-hostile-');
  const write = (f: string, text: string, mode = 0o644) => { fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true }); fs.writeFileSync(path.join(dir, f), text, { mode }); };
  write('package.json', JSON.stringify({ name: 'hostile', version: '1.0.0', private: true }));
  write('app.json', JSON.stringify({ buildpacks: [{ url: 'heroku/nodejs' }], environments: { test: { scripts: { test: 'sh probe.sh test' } } } }));
  write('Procfile', 'web: node server.js\nrelease: sh probe.sh release\n');
  write('server.js', "require('http').createServer((q, r) => r.end(`uid=${process.getuid()}\\n`)).listen(process.env.PORT);\n");
  write('probe.sh', `echo "probe $1 uid=$(id -u) gid=$(id -g)"
if touch "${marks}/from-sandbox-$1" 2>/dev/null; then echo "HOST-PATH-WRITABLE"; else echo "host path not writable"; fi
if unshare -Ur true 2>/dev/null; then echo "NESTED-USERNS-OK"; else echo "nested user namespace refused"; fi
`);
  for (const f of ['bin/bwrap', 'bin/setpriv', 'bin/ip', 'node_modules/.bin/bwrap', 'node_modules/.bin/setpriv']) write(f, hijack(marks), 0o755);
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'hostile launchers');
  return dir;
}

/** An app whose web dyno keeps a secret in its environment and in a file of its workspace. */
export function secretKeeperRepo(): string {
  const dir = tempDir('slipway-keeper-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'keeper', version: '1.0.0', private: true }));
  fs.writeFileSync(path.join(dir, 'Procfile'), 'web: node server.js\n');
  fs.writeFileSync(path.join(dir, 'server.js'), `require('fs').writeFileSync('secret.txt', process.env.KEEPER_SECRET || 'unset');
require('http').createServer((q, r) => r.end('ok\\n')).listen(process.env.PORT);
`);
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'keeper');
  return dir;
}
