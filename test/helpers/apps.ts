// Example apps as real git repositories in temp folders, the way a user has them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './server.js';
import { tempDir } from './temp.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.test', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.test' } }).toString().trim();

/** Copy `examples/<name>` into a new repository on branch main and commit it. */
export function exampleRepo(name: string, edit?: (dir: string) => void): string {
  const dir = tempDir(`slipway-app-${name.replace(/\W/g, '-')}-`);
  fs.cpSync(path.join(REPO, 'examples', name), dir, { recursive: true });
  edit?.(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `${name}: first commit`);
  return dir;
}

export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** A committed repository of its own: `appJson` and a folder buildpack `./bp` whose bin/compile is `compile` (a shell script). */
export function repoWithBuildpack(appJson: object, compile: string): string {
  const dir = tempDir('slipway-bp-app-');
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ buildpacks: [{ url: './bp' }], ...appJson }));
  fs.mkdirSync(path.join(dir, 'bp/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bp/bin/compile'), `#!/bin/sh\n${compile}\n`, { mode: 0o755 });
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'app with a folder buildpack');
  return dir;
}

export { git };

/** A committed repository of its own holding `files` (path → content). */
export function repoWithFiles(files: Record<string, string>): string {
  const dir = tempDir('slipway-files-app-');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'first');
  return dir;
}
