// Put every buildpack a node needs into its workspace (Heroku's /tmp/buildpacks/<n>), or detect one.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { copyInto, type Workspace } from '../ci/workspace.js';
import { BUILTINS, BUILTIN_DIR, builtinNames } from './builtin.js';
import { parseBuildpackRef } from './buildpack-ref.js';

export interface PreparedBuildpack { url: string; name: string; dir: string }
export type Prepared = { ok: true; buildpacks: PreparedBuildpack[] } | { ok: false; errorId: 'buildpack_not_found' | 'no_buildpack_detected'; message: string };

interface Ctx { sandbox: Sandbox; ws: Workspace; env: Record<string, string>; marker: string; timeoutMs: () => number; signal?: AbortSignal; log: (s: string) => void }

const hasBin = (dir: string, script: string): boolean => fs.existsSync(path.join(dir, 'bin', script));

async function fetchGit(ctx: Ctx, url: string, ref: string | undefined, dest: string): Promise<string | undefined> {
  let err = '';
  const git = async (args: string[], cwd = ctx.ws.buildpacks) => {
    err = '';
    const r = await ctx.sandbox.run({
      argv: ['git', ...args], cwd, env: { ...ctx.env, GIT_TERMINAL_PROMPT: '0' }, writable: [ctx.ws.root], marker: ctx.marker,
      timeoutMs: Math.min(ctx.timeoutMs(), 300_000), signal: ctx.signal, onStderr: (c) => { err += c; },
    });
    return r.exitCode === 0;
  };
  const isSha = !!ref && /^[0-9a-f]{7,40}$/i.test(ref);
  // A shallow clone of a branch or tag is fastest; a commit sha, or a server that cannot do shallow
  // clones (dumb HTTP), needs the full history.
  if (!isSha && await git(['clone', '--quiet', '--depth', '1', ...(ref ? ['--branch', ref] : []), url, dest])) return undefined;
  if (!isSha && !/shallow/i.test(err)) return `git clone of ${url}${ref ? '#' + ref : ''} failed: ${err.trim()}`;
  fs.rmSync(dest, { recursive: true, force: true });
  if (!await git(['clone', '--quiet', url, dest])) return `git clone of ${url} failed: ${err.trim()}`;
  if (ref && !await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', ref], dest)) return `buildpack ${url} has no ref "${ref}": ${err.trim()}`;
  return undefined;
}

/** Materialize the app.json buildpacks in order, or run detection over the built-ins when none are listed. */
export async function prepareBuildpacks(ctx: Ctx, urls: string[]): Promise<Prepared> {
  const out: PreparedBuildpack[] = [];
  if (urls.length === 0) return detect(ctx);
  for (const [i, url] of urls.entries()) {
    const parsed = parseBuildpackRef(url, builtinNames());
    if (!parsed.ok) return { ok: false, errorId: 'buildpack_not_found', message: parsed.message };
    const dest = path.join(ctx.ws.buildpacks, String(i));
    const ref = parsed.ref;
    if (ref.kind === 'git') {
      ctx.log(`-----> Fetching buildpack ${url}\n`);
      const problem = await fetchGit(ctx, ref.url, ref.ref, dest);
      if (problem) return { ok: false, errorId: 'buildpack_not_found', message: problem };
    } else {
      const src = ref.kind === 'builtin' ? ref.dir : ref.kind === 'local' ? ref.path : path.join(ctx.ws.app, ref.path);
      if (!fs.existsSync(path.join(src, 'bin'))) return { ok: false, errorId: 'buildpack_not_found', message: `Buildpack "${url}" has no bin/ folder at ${ref.kind === 'app-folder' ? ref.path : src}.` };
      await copyInto(ctx.sandbox, src, dest);
    }
    if (!hasBin(dest, 'compile') && !hasBin(dest, 'test-compile')) return { ok: false, errorId: 'buildpack_not_found', message: `Buildpack "${url}" has neither bin/compile nor bin/test-compile.` };
    out.push({ url, name: ref.kind === 'builtin' ? ref.name : url, dir: dest });
  }
  return { ok: true, buildpacks: out };
}

async function detect(ctx: Ctx): Promise<Prepared> {
  for (const b of BUILTINS) {
    const dest = path.join(ctx.ws.buildpacks, '0');
    await copyInto(ctx.sandbox, path.join(BUILTIN_DIR, b.folder), dest);
    let said = '';
    const r = await ctx.sandbox.run({
      argv: [path.join(dest, 'bin/detect'), ctx.ws.app], cwd: ctx.ws.app, env: ctx.env, writable: [], readable: [ctx.ws.root], marker: ctx.marker,
      timeoutMs: Math.min(ctx.timeoutMs(), 60_000), signal: ctx.signal, onStdout: (c) => { said += c; },
    });
    if (r.exitCode === 0) {
      ctx.log(`-----> ${said.trim() || b.name} app detected\n`);
      return { ok: true, buildpacks: [{ url: b.name, name: b.name, dir: dest }] };
    }
    fs.rmSync(dest, { recursive: true, force: true });
  }
  return {
    ok: false, errorId: 'no_buildpack_detected',
    message: `No built-in buildpack detected this app (tried ${builtinNames().join(', ')}). List buildpacks in app.json ("buildpacks": [{"url": "..."}]) or add the files a buildpack looks for (e.g. package.json).`,
  };
}
