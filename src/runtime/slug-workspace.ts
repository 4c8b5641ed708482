// A dyno's filesystem: the slug unpacked into a fresh workspace of its own (writable, ephemeral,
// gone when the dyno ends), and the environment every dyno gets.
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { createWorkspace, type Workspace } from '../ci/workspace.js';
import { sourceProfileD } from '../buildpacks/shell.js';
import type { SlugSource, SlugTrees } from './slug-trees.js';

/**
 * A fresh workspace of `diskMb` (the disk quota of the dyno's size) with the slug in its app
 * folder: with this host's slug trees, an overlay of the slug's read-only tree (unpacked once per
 * host); else the slug unpacked into it.
 */
export async function unpackSlug(sandbox: Sandbox, workRoot: string, id: string, slug: string | SlugSource, diskMb: number, trees?: SlugTrees): Promise<Workspace> {
  const ws = await createWorkspace(sandbox, workRoot, id, diskMb);
  if (trees && typeof slug !== 'string') {
    await trees.mountApp(sandbox, ws, slug, id);
    return ws;
  }
  const slugFile = typeof slug === 'string' ? slug : await slug.file();
  const r = await sandbox.run({ argv: ['tar', '-xzf', slugFile, '-C', ws.app, '--no-same-owner'], cwd: ws.app, env: { PATH: '/usr/bin:/bin' }, writable: [ws.root], readable: [path.dirname(slugFile)], marker: id, timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new Error(`unpacking the slug ${describeResult(r)}`);
  return ws;
}

export function dynoEnv(ws: Workspace, config: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  return {
    ...config,
    PATH: [path.join(ws.app, 'node_modules/.bin'), path.join(ws.app, 'bin'), path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    HOME: ws.app,
    LANG: 'C.UTF-8',
    STACK: 'heroku-24',
    ...extra,
  };
}

/** `bash -c` that sources .profile.d then runs the command, as a dyno starts. */
export const dynoCommand = (ws: Workspace, command: string): string[] => ['bash', '-c', `${sourceProfileD(ws.app)}\n${command}`];
