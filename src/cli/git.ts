// The git facts `ci:run` needs from the user's repository.
import { execFile } from 'node:child_process';
import { CliError } from './errors.js';

function git(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new CliError(`git ${args[0]} failed: ${stderr.toString().trim() || err.message}`));
      else resolve(stdout);
    });
  });
}
const text = async (args: string[]) => (await git(args)).toString().trim();
export const gitText = text;

export async function inGitRepo(): Promise<boolean> {
  try { await text(['rev-parse', '--git-dir']); return true; } catch { return false; }
}

export interface Commit { sha: string; branch: string | null; message: string }

export async function resolveCommit(ref: string): Promise<Commit> {
  // One `git log` answers whether this is a repository, whether the ref exists, its sha and message.
  const [out, head] = await Promise.all([
    text(['log', '-1', '--format=%H%x00%B', ref, '--']).catch((e: CliError) => {
      if (/not a git repository/i.test(e.message)) throw new CliError('Not in a git repository: run this inside your app\'s repository.');
      throw new CliError(`Unknown git ref "${ref}".`);
    }),
    ref === 'HEAD' ? text(['symbolic-ref', '-q', '--short', 'HEAD']).catch(() => '') : undefined, // the branch, at the same time
  ]);
  const [sha, ...message] = out.split('\0');
  let branch: string | null = null;
  if (ref === 'HEAD') branch = head || null;
  else if (await text(['show-ref', '--verify', '-q', `refs/heads/${ref}`]).then(() => true, () => false)) branch = ref;
  return { sha: sha!, branch, message: message.join('\0').trim() };
}

export const archive = (sha: string): Promise<Buffer> => git(['archive', '--format=tar.gz', sha]);

export async function isDirty(): Promise<boolean> { return (await text(['status', '--porcelain', '--untracked-files=no'])).length > 0; }

export async function getConfig(key: string): Promise<string | undefined> {
  try { return (await text(['config', '--get', key])) || undefined; } catch { return undefined; }
}

export async function setConfig(key: string, value: string): Promise<void> { await git(['config', key, value]); }
