// One bare repository per app (its `git push` remote), each with Slipway's pre-receive hook.
import fs from 'node:fs';
import path from 'node:path';
import { runHost } from '../sandbox/host.js';
import { PRE_RECEIVE_HOOK } from './pre-receive-hook.js';

export const reposRoot = (dataDir: string): string => path.join(dataDir, 'repos');
export const repoPath = (dataDir: string, appId: string): string => path.join(reposRoot(dataDir), `${appId}.git`);

/** The app's bare repository, created on first use; the hook is (re)written when Slipway's changes. */
export async function ensureRepo(dataDir: string, appId: string): Promise<string> {
  const dir = repoPath(dataDir, appId);
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const r = await runHost('git', ['init', '-q', '--bare', '-b', 'main', dir]);
    if (r.exitCode !== 0) throw new Error(`git init --bare failed: ${r.stderr.trim()}`);
    // Pushes of any size; no auto-gc during a push.
    await runHost('git', ['config', 'receive.denyDeletes', 'false'], { cwd: dir });
    await runHost('git', ['config', 'gc.auto', '0'], { cwd: dir });
  }
  const hook = path.join(dir, 'hooks', 'pre-receive');
  if (!fs.existsSync(hook) || fs.readFileSync(hook, 'utf8') !== PRE_RECEIVE_HOOK) {
    fs.mkdirSync(path.dirname(hook), { recursive: true });
    fs.writeFileSync(hook, PRE_RECEIVE_HOOK, { mode: 0o755 });
  }
  return dir;
}

export function removeRepo(dataDir: string, appId: string): void {
  fs.rmSync(repoPath(dataDir, appId), { recursive: true, force: true });
}
