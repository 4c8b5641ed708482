// The per-pipeline setup cache (CI): restored into a node's CACHE_DIR, saved after a successful setup
// when the setup changed it. The tenant owns CACHE_DIR and may replace it with a link to a host
// folder, so root copies only a real folder, never through a link: `cp -a` copies links inside it as links.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { runHost } from '../sandbox/host.js';
import { copyInto } from './workspace.js';
import { treeFingerprint } from './tree-fingerprint.js';

const isRealDir = (p: string): boolean => { try { return fs.lstatSync(p).isDirectory(); } catch { return false; } };

/** What a restore put in CACHE_DIR: its fingerprint, so saving can tell whether the setup changed it. */
export interface Restored { fingerprint: string | undefined }

/** Copy the saved cache into `into`; undefined when there is none. */
export async function restoreCache(sandbox: Sandbox, cacheRoot: string, pipelineId: string, into: string): Promise<Restored | undefined> {
  const src = path.join(cacheRoot, pipelineId);
  if (!isRealDir(src)) {
    fs.rmSync(src, { force: true }); // a link saved before links were refused
    return undefined;
  }
  if (!isRealDir(into)) throw new Error(`the cache folder ${into} is not a folder; the cache was not restored`);
  await copyInto(sandbox, src, into, { large: true });
  return { fingerprint: treeFingerprint(into) };
}

/**
 * Replace a pipeline's setup cache with a copy of `from`, atomically (readers see old or new).
 * Nothing is written when `from` is what `restored` put there ('unchanged') or no longer a real
 * folder ('not-a-folder').
 */
export async function saveCache(cacheRoot: string, pipelineId: string, from: string, opts: { restored?: Restored } = {}): Promise<'saved' | 'unchanged' | 'not-a-folder'> {
  if (!isRealDir(from)) return 'not-a-folder';
  const restored = opts.restored?.fingerprint;
  if (restored !== undefined && treeFingerprint(from) === restored && isRealDir(path.join(cacheRoot, pipelineId))) return 'unchanged';
  fs.mkdirSync(cacheRoot, { recursive: true, mode: 0o700 });
  const dest = path.join(cacheRoot, pipelineId);
  const tmp = `${dest}.new-${process.pid}-${Date.now()}`;
  const r = await runHost('cp', ['-a', '--', from, tmp]);
  if (r.exitCode !== 0) { fs.rmSync(tmp, { recursive: true, force: true }); throw new Error(`saving the cache failed: ${r.stderr.trim()}`); }
  const old = `${dest}.old-${process.pid}-${Date.now()}`;
  if (fs.existsSync(dest)) fs.renameSync(dest, old);
  fs.renameSync(tmp, dest);
  fs.rmSync(old, { recursive: true, force: true });
  return 'saved';
}

/** The line a job's log shows for a save that did not write: the tenant replaced its cache folder by a link, or changed nothing. */
export function cacheNotSavedLine(result: 'saved' | 'unchanged' | 'not-a-folder'): string {
  if (result === 'unchanged') return '-----> The cache is unchanged; not saved again\n';
  return result === 'not-a-folder' ? '-----> The cache folder ($CACHE_DIR) is no longer a folder (a symbolic link?); the cache was not saved\n' : '';
}
