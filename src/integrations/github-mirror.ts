// A pipeline's mirror of its connected repository: commits fetched from the host on webhooks.
import fs from 'node:fs';
import path from 'node:path';
import { runHost } from '../sandbox/host.js';
import { checkCloneUrlShape } from './clone-url.js';

export const mirrorPath = (dataDir: string, pipelineId: string): string => path.join(dataDir, 'mirrors', `${pipelineId}.git`);

// git runs as root on a URL from a webhook: only network transports, no hooks, no redirects to
// elsewhere, no system or user config, no prompts; `--` ends the options before the URL.
const GIT_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'https:http:ssh', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' };
const GIT_CONFIG = ['protocol.allow=never', 'protocol.https.allow=always', 'protocol.http.allow=always', 'protocol.ssh.allow=always', 'core.hooksPath=/dev/null', 'http.followRedirects=false', 'credential.helper=']
  .flatMap((c) => ['-c', c]);
const fetchArgs = (url: string, what: string) => [...GIT_CONFIG, 'fetch', '-q', '--no-tags', '--', url, what];

/** The git host could not be reached or answered with an error: trying again later may work. */
export class FetchFailed extends Error {}

/** Fetch `sha` from `cloneUrl` into the pipeline's mirror (created on first use). */
export async function fetchCommit(dataDir: string, pipelineId: string, cloneUrl: string, sha: string): Promise<string> {
  const shape = checkCloneUrlShape(cloneUrl);
  if (!shape.ok) throw new Error(`refused to fetch: ${shape.message}`);
  const dir = mirrorPath(dataDir, pipelineId);
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const init = await runHost('git', ['init', '-q', '--bare', '--', dir], { env: GIT_ENV });
    if (init.exitCode !== 0) throw new Error(`git init failed: ${init.stderr.trim()}`);
  }
  const r = await runHost('git', fetchArgs(shape.url, sha), { cwd: dir, env: GIT_ENV, timeoutMs: 600_000 });
  if (r.exitCode !== 0) {
    // Servers that refuse fetching by sha: fetch every branch instead.
    const all = await runHost('git', fetchArgs(shape.url, '+refs/heads/*:refs/remotes/origin/*'), { cwd: dir, env: GIT_ENV, timeoutMs: 600_000 });
    if (all.exitCode !== 0) throw new FetchFailed(`git fetch ${cloneUrl} failed: ${(all.stderr || r.stderr).trim()}`);
  }
  const has = await runHost('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd: dir, env: GIT_ENV });
  if (has.exitCode !== 0) throw new Error(`commit ${sha} is not in ${cloneUrl}`);
  return dir;
}
