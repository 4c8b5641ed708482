// pipelines:diff — the commits one stage has that the next does not, read from a repository that
// holds both (the apps' own push remotes, or the pipeline's mirror of its connected repository).
import fs from 'node:fs';
import { runHost } from '../sandbox/host.js';
import { repoPath } from '../git/repos.js';

export interface DiffCommit { sha: string; author: string; date: string; message: string }
export type CommitDiff =
  | { state: 'same' }
  | { state: 'unknown'; reason: string }
  | { state: 'ahead'; commits: DiffCommit[] }
  | { state: 'diverged'; commits: DiffCommit[] };

const hasCommit = async (repo: string, sha: string) => (await runHost('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd: repo })).exitCode === 0;

/** Commits in `from` and not in `to`, looked up in the first repository that has both. */
export async function commitDiff(repos: string[], from: string | null, to: string | null): Promise<CommitDiff> {
  if (!from) return { state: 'unknown', reason: 'the source app has no commit deployed' };
  if (!to) return { state: 'unknown', reason: 'the target app has no commit deployed yet' };
  if (from === to) return { state: 'same' };
  for (const repo of repos.filter((r) => fs.existsSync(r))) {
    if (!(await hasCommit(repo, from)) || !(await hasCommit(repo, to))) continue;
    const log = await runHost('git', ['log', '--format=%H%x1f%an%x1f%aI%x1f%s', `${to}..${from}`], { cwd: repo });
    const commits = log.stdout.split('\n').filter(Boolean).map((l) => {
      const [sha, author, date, message] = l.split('\x1f');
      return { sha: sha!, author: author!, date: date!, message: message! };
    });
    const behind = await runHost('git', ['merge-base', '--is-ancestor', to, from], { cwd: repo });
    return { state: behind.exitCode === 0 ? 'ahead' : 'diverged', commits };
  }
  return { state: 'unknown', reason: `no repository Slipway holds has both ${from.slice(0, 7)} and ${to.slice(0, 7)}` };
}

export const appRepos = (dataDir: string, appIds: string[]): string[] => appIds.map((id) => repoPath(dataDir, id));
