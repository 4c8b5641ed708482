// A pipeline's mirror of its connected repository: commits fetched from the host on webhooks.
import fs from 'node:fs';
import path from 'node:path';
import { runHost } from '../sandbox/host.js';

export const mirrorPath = (dataDir: string, pipelineId: string): string => path.join(dataDir, 'mirrors', `${pipelineId}.git`);

/** Fetch `sha` from `cloneUrl` into the pipeline's mirror (created on first use). */
export async function fetchCommit(dataDir: string, pipelineId: string, cloneUrl: string, sha: string): Promise<string> {
  const dir = mirrorPath(dataDir, pipelineId);
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const init = await runHost('git', ['init', '-q', '--bare', dir]);
    if (init.exitCode !== 0) throw new Error(`git init failed: ${init.stderr.trim()}`);
  }
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', GIT_TERMINAL_PROMPT: '0' };
  const r = await runHost('git', ['fetch', '-q', '--no-tags', cloneUrl, sha], { cwd: dir, env, timeoutMs: 600_000 });
  if (r.exitCode !== 0) {
    // Servers that refuse fetching by sha: fetch every branch instead.
    const all = await runHost('git', ['fetch', '-q', '--no-tags', cloneUrl, '+refs/heads/*:refs/remotes/origin/*'], { cwd: dir, env, timeoutMs: 600_000 });
    if (all.exitCode !== 0) throw new Error(`git fetch ${cloneUrl} failed: ${(all.stderr || r.stderr).trim()}`);
  }
  const has = await runHost('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd: dir });
  if (has.exitCode !== 0) throw new Error(`commit ${sha} is not in ${cloneUrl}`);
  return dir;
}
