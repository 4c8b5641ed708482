// The per-pipeline setup cache: restored into a node's CACHE_DIR, saved after a successful setup.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { runHost } from '../sandbox/host.js';
import { copyInto } from './workspace.js';

export async function restoreCache(sandbox: Sandbox, cacheRoot: string, pipelineId: string, into: string): Promise<boolean> {
  const src = path.join(cacheRoot, pipelineId);
  if (!fs.existsSync(src)) return false;
  await copyInto(sandbox, src, into, { large: true });
  return true;
}

/**
 * Replace a cache (a pipeline's setup cache, an app's build cache) with `from`, atomically (readers
 * see old or new). `move` takes `from` itself, for a workspace that is discarded next anyway.
 */
export async function saveCache(cacheRoot: string, pipelineId: string, from: string, opts: { move?: boolean } = {}): Promise<void> {
  fs.mkdirSync(cacheRoot, { recursive: true, mode: 0o700 });
  const dest = path.join(cacheRoot, pipelineId);
  const tmp = `${dest}.new-${process.pid}-${Date.now()}`;
  if (opts.move) fs.renameSync(from, tmp);
  else {
    const r = await runHost('cp', ['-a', from, tmp]);
    if (r.exitCode !== 0) { fs.rmSync(tmp, { recursive: true, force: true }); throw new Error(`saving the cache failed: ${r.stderr.trim()}`); }
  }
  const old = `${dest}.old-${process.pid}-${Date.now()}`;
  if (fs.existsSync(dest)) fs.renameSync(dest, old);
  fs.renameSync(tmp, dest);
  fs.rmSync(old, { recursive: true, force: true });
}
