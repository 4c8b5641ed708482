// The git facts `ci:run` needs from the user's repository.
import { execFile } from 'node:child_process';
import { CliError } from './errors.js';

function git(args: string[], opts: { encoding?: 'buffer' } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new CliError(`git ${args[0]} failed: ${stderr.toString().trim() || err.message}`));
      else resolve(stdout);
    });
    void opts;
  });
}
const text = async (args: string[]) => (await git(args)).toString().trim();

export async function inGitRepo(): Promise<boolean> {
  try { await text(['rev-parse', '--git-dir']); return true; } catch { return false; }
}

export interface Commit { sha: string; branch: string | null; message: string }

export async function resolveCommit(ref: string): Promise<Commit> {
  if (!(await inGitRepo())) throw new CliError('Not in a git repository: run this inside your app\'s repository.');
  const sha = await text(['rev-parse', '--verify', `${ref}^{commit}`]).catch(() => { throw new CliError(`Unknown git ref "${ref}".`); });
  let branch: string | null = null;
  if (ref === 'HEAD') {
    const b = await text(['rev-parse', '--abbrev-ref', 'HEAD']);
    branch = b === 'HEAD' ? null : b;
  } else if (await text(['show-ref', '--verify', `refs/heads/${ref}`]).then(() => true, () => false)) {
    branch = ref;
  }
  return { sha, branch, message: await text(['log', '-1', '--format=%B', sha]) };
}

export const archive = (sha: string): Promise<Buffer> => git(['archive', '--format=tar.gz', sha]);

export async function isDirty(): Promise<boolean> { return (await text(['status', '--porcelain', '--untracked-files=no'])).length > 0; }

export async function getConfig(key: string): Promise<string | undefined> {
  try { return (await text(['config', '--get', key])) || undefined; } catch { return undefined; }
}

export async function setConfig(key: string, value: string): Promise<void> { await git(['config', key, value]); }
