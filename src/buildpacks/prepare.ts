// Put every buildpack a node needs into its workspace (Heroku's /tmp/buildpacks/<n>), or detect one.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { copyInto, type Workspace } from '../ci/workspace.js';
import { BUILTINS, BUILTIN_DIR, builtinNames } from './builtin.js';
import { parseBuildpackRef } from './buildpack-ref.js';
import { describeResult } from '../sandbox/result.js';

export interface PreparedBuildpack { url: string; name: string; dir: string }
export type Prepared = { ok: true; buildpacks: PreparedBuildpack[] } | { ok: false; errorId: 'buildpack_not_found' | 'buildpack_not_allowed' | 'no_buildpack_detected'; message: string };

interface Ctx {
  sandbox: Sandbox; ws: Workspace; env: Record<string, string>; marker: string; timeoutMs: () => number; signal?: AbortSignal; log: (s: string) => void;
  /** Server folders app.json may name (SLIPWAY_BUILDPACK_DIRS); any other absolute path is refused. */
  allowedDirs: readonly string[];
}

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

/** Is `dir` (links resolved) one of the allowed folders or inside one? */
export function allowedFolder(dir: string, allowed: readonly string[]): boolean {
  let real: string;
  try { real = fs.realpathSync(dir); } catch { return false; }
  return allowed.some((a) => {
    let root: string;
    try { root = fs.realpathSync(a); } catch { return false; }
    return real === root || real.startsWith(root + path.sep);
  });
}

async function copyAsTenant(ctx: Ctx, from: string, to: string): Promise<string | undefined> {
  let err = '';
  const r = await ctx.sandbox.run({
    argv: ['cp', '-a', '--no-preserve=ownership', '--', `${from}/.`, to], cwd: ctx.ws.app, env: { PATH: '/usr/bin:/bin' }, writable: [ctx.ws.root], marker: ctx.marker,
    timeoutMs: Math.min(ctx.timeoutMs(), 120_000), signal: ctx.signal, onStderr: (c) => { err += c; },
  });
  return r.exitCode === 0 ? undefined : err.trim() || `cp ${describeResult(r)}`;
}

/**
 * Put the first built-in of the detection order where detection runs it (buildpacks/0) and return
 * its bin/detect: the sandbox that unpacks a CI node's source runs it too (one sandbox start, not two).
 */
export async function placeFirstBuiltin(ctx: Pick<Ctx, 'sandbox' | 'ws'>): Promise<string> {
  const dest = path.join(ctx.ws.buildpacks, '0');
  await copyInto(ctx.sandbox, path.join(BUILTIN_DIR, BUILTINS[0]!.folder), dest);
  return path.join(dest, 'bin/detect');
}

/**
 * Materialize the app.json buildpacks in order, or run detection over the built-ins when none are
 * listed; `firstDetected`: the first built-in's detection already ran (placeFirstBuiltin): what it
 * printed, or null when it did not detect the app.
 */
export async function prepareBuildpacks(ctx: Ctx, urls: string[], firstDetected?: string | null): Promise<Prepared> {
  const out: PreparedBuildpack[] = [];
  if (urls.length === 0) return detect(ctx, firstDetected);
  for (const [i, url] of urls.entries()) {
    const parsed = parseBuildpackRef(url, builtinNames());
    if (!parsed.ok) return { ok: false, errorId: 'buildpack_not_found', message: parsed.message };
    const dest = path.join(ctx.ws.buildpacks, String(i));
    const ref = parsed.ref;
    if (ref.kind === 'git') {
      ctx.log(`-----> Fetching buildpack ${url}\n`);
      const problem = await fetchGit(ctx, ref.url, ref.ref, dest);
      if (problem) return { ok: false, errorId: 'buildpack_not_found', message: problem };
    } else if (ref.kind === 'app-folder') {
      // The app's own folder: copied by the tenant inside its sandbox, so a link in it reaches only
      // what the tenant could read anyway.
      const problem = await copyAsTenant(ctx, path.join(ctx.ws.app, ref.path), dest);
      if (problem) return { ok: false, errorId: 'buildpack_not_found', message: `Buildpack "${url}" could not be copied: ${problem}` };
      if (!fs.existsSync(path.join(dest, 'bin'))) return { ok: false, errorId: 'buildpack_not_found', message: `Buildpack "${url}" has no bin/ folder at ${ref.path}.` };
    } else {
      const src = ref.kind === 'builtin' ? ref.dir : ref.path;
      if (ref.kind === 'local' && !allowedFolder(src, ctx.allowedDirs)) {
        return { ok: false, errorId: 'buildpack_not_allowed', message: `Buildpack "${url}" is a folder on the server (${src}) outside the folders the operator allows for buildpacks (SLIPWAY_BUILDPACK_DIRS: ${ctx.allowedDirs.join(':')}). Use a git URL, a built-in, or a "./folder" inside the app, or ask the operator to add the folder to SLIPWAY_BUILDPACK_DIRS.` };
      }
      if (!fs.existsSync(path.join(src, 'bin'))) return { ok: false, errorId: 'buildpack_not_found', message: `Buildpack "${url}" has no bin/ folder at ${src}.` };
      await copyInto(ctx.sandbox, src, dest);
    }
    if (!hasBin(dest, 'compile') && !hasBin(dest, 'test-compile')) return { ok: false, errorId: 'buildpack_not_found', message: `Buildpack "${url}" has neither bin/compile nor bin/test-compile.` };
    out.push({ url, name: ref.kind === 'builtin' ? ref.name : url, dir: dest });
  }
  return { ok: true, buildpacks: out };
}

async function detect(ctx: Ctx, firstDetected: string | null | undefined): Promise<Prepared> {
  for (const [i, b] of BUILTINS.entries()) {
    const dest = path.join(ctx.ws.buildpacks, '0');
    let said = '';
    let detected: boolean;
    if (i === 0 && firstDetected !== undefined) {
      said = firstDetected ?? '';
      detected = firstDetected !== null;
    } else {
      await copyInto(ctx.sandbox, path.join(BUILTIN_DIR, b.folder), dest);
      const r = await ctx.sandbox.run({
        argv: [path.join(dest, 'bin/detect'), ctx.ws.app], cwd: ctx.ws.app, env: ctx.env, writable: [], readable: [ctx.ws.root], marker: ctx.marker,
        timeoutMs: Math.min(ctx.timeoutMs(), 60_000), signal: ctx.signal, onStdout: (c) => { said += c; },
      });
      detected = r.exitCode === 0;
    }
    if (detected) {
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
