// Hostile tenants for the security suites: a root-only folder holding secrets that no tenant may
// ever see, and apps (real git repositories) whose files point at it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { api, cli, TOKEN, type TestServer } from './server.js';
import { commitAll, git } from './apps.js';
import { tempDir } from './temp.js';

export interface RootSecret {
  /** A 0700 folder owned by root. */
  dir: string;
  /** A 0600 file in it. */
  file: string;
  /** Appears in every file of `dir`; must never reach a tenant. */
  value: string;
  /** A world-readable folder inside `dir` (reachable only by a root copy). */
  open: string;
}

/** A root-only folder (0700) with a 0600 secret, and world-readable files a copy would expose. */
export function rootSecret(): RootSecret {
  // Not under /tmp: sandboxes get their own /tmp, and the secret must be visible to them (and unreadable).
  const base = tempDir('slipway-root-secret-', '/var/tmp');
  process.on('exit', () => fs.rmSync(base, { recursive: true, force: true }));
  const dir = path.join(base, 'private');
  fs.mkdirSync(dir, { mode: 0o700 });
  const value = `SECRET-${randomBytes(12).toString('hex')}`;
  const file = path.join(dir, 'secret.txt');
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  // As an app would have them, so a root read would be parsed and shown: a Procfile, a JUnit report.
  fs.writeFileSync(path.join(dir, 'Procfile'), `leak: echo ${value}\n`, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ buildpacks: [{ url: value }] }), { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'report.xml'), `<testsuite name="s"><testcase classname="c" name="${value}"/></testsuite>\n`, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'readable.txt'), `${value}\n`, { mode: 0o644 });
  // A world-readable folder inside the root-only one: a tenant cannot reach it by path, but a root
  // copy (a cache saved through a link) would hand it over.
  fs.mkdirSync(path.join(dir, 'open'), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'open', 'open-secret.txt'), `${value}\n`, { mode: 0o644 });
  // A buildpack as a host folder would hold it: run by the host, it would say so.
  fs.mkdirSync(path.join(dir, 'bin'), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'bin', 'compile'), `#!/bin/sh\necho HOST-BUILDPACK-RAN ${value}\n`, { mode: 0o755 });
  return { dir, file, value, open: path.join(dir, 'open') };
}

/**
 * A git repository on main with an app-folder buildpack `./bp` (bin/compile, optional
 * bin/test-compile) and the given files; `links` become symbolic links committed as such.
 */
export function hostileRepo(opts: { compile?: string; testCompile?: string; files?: Record<string, string>; links?: Record<string, string>; appJson?: unknown }): string {
  const dir = tempDir('slipway-hostile-');
  fs.mkdirSync(path.join(dir, 'bp/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bp/bin/compile'), `#!/bin/sh\n${opts.compile ?? 'echo compiled'}\n`, { mode: 0o755 });
  if (opts.testCompile) fs.writeFileSync(path.join(dir, 'bp/bin/test-compile'), `#!/bin/sh\n${opts.testCompile}\n`, { mode: 0o755 });
  if (opts.appJson !== null) fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(opts.appJson ?? { buildpacks: [{ url: './bp' }] }));
  for (const [f, body] of Object.entries(opts.files ?? {})) { fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true }); fs.writeFileSync(path.join(dir, f), body, { mode: 0o755 }); }
  for (const [f, target] of Object.entries(opts.links ?? {})) { fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true }); fs.symlinkSync(target, path.join(dir, f)); }
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'hostile');
  return dir;
}

/** Everything of an app a tenant (or anyone with API access) can read: builds, their output, slugs, releases, log. */
export async function appSurface(s: TestServer, app: string): Promise<string> {
  const parts: string[] = [];
  const get = async (p: string) => { const r = await api<unknown>(s, 'GET', p); parts.push(JSON.stringify(r.json)); return r.json; };
  const builds = await get(`/apps/${app}/builds`) as { id: string; slug: { id: string } | null }[];
  for (const b of builds ?? []) {
    if (b.slug) await get(`/apps/${app}/slugs/${b.slug.id}`);
  }
  await get(`/apps/${app}/releases`);
  await get(`/apps/${app}/formation`);
  parts.push((await cli(s, ['builds:output', '-a', app])).stdout);
  parts.push((await cli(s, ['logs', '-n', '1000', '-a', app])).stdout);
  return parts.join('\n');
}

/** Assert-ready: which of the secrets (and the admin token) appear in `text`. */
export const leaked = (text: string, secret: RootSecret): string[] => [
  ...[secret.value, TOKEN].filter((v) => text.includes(v)),
  // Any part of the server's own environment (a root read of /proc/self/environ cut short still shows a variable).
  ...(/SLIPWAY_[A-Z0-9_]+=\S/.exec(text) ?? []).map((m) => `the server's environment: ${m}`),
];
