// Runner side of a build: source → buildpacks' bin/compile (app config in ENV_DIR, the app's build
// cache in CACHE_DIR) → bin/release and Procfile → a slug tarball. Output streams as it happens.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { killMarked } from '../sandbox/process-tree.js';
import { prepareBuildpacks } from '../buildpacks/prepare.js';
import { q, sourceFiles } from '../buildpacks/shell.js';
import { createWorkspace, removeWorkspace, writeEnvDir, hoistSingleFolder } from '../ci/workspace.js';
import { restoreCache, saveCache } from '../ci/setup-cache.js';
import { parseAppJson } from '../core/app-json.js';
import { parseProcfile, parseReleaseYaml } from '../core/procfile.js';
import { slugignoreMatcher } from '../core/slugignore.js';
import type { BuildEvent, BuildJob } from './jobs.js';
import type { DynoNet, DynoNetworks } from '../spaces/space-network.js';
import { inNetns } from '../spaces/sandbox-netns.js';

export interface BuildDeps {
  sandbox: Sandbox; workRoot: string; buildCacheRoot: string; fetchSource(url: string, dest: string): Promise<void>; timeoutMs: number;
  /** A namespace of the app's on the default network (outbound through NAT: buildpacks download). */
  network?: Pick<DynoNetworks, 'forGroup'>;
}

class BuildError extends Error {}

function removeIgnored(app: string): number {
  const file = path.join(app, '.slugignore');
  if (!fs.existsSync(file)) return 0;
  const ignored = slugignoreMatcher(fs.readFileSync(file, 'utf8'));
  let n = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const rel = path.relative(app, p);
      if (ignored(rel)) { fs.rmSync(p, { recursive: true, force: true }); n++; } else if (e.isDirectory()) walk(p);
    }
  };
  walk(app);
  return n;
}

export async function runBuild(job: BuildJob, deps: BuildDeps, emit: (e: BuildEvent) => void, signal: AbortSignal): Promise<void> {
  let sandbox = deps.sandbox;
  let net: DynoNet | undefined;
  const id = `build-${job.buildId}`;
  const ws = createWorkspace(sandbox, deps.workRoot, id);
  const deadline = Date.now() + deps.timeoutMs;
  const remaining = () => Math.max(0, deadline - Date.now());
  const log = (data: Buffer | string) => emit({ type: 'output', data });
  const env = { PATH: [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'), HOME: ws.app, LANG: 'C.UTF-8', STACK: 'heroku-24', SOURCE_VERSION: job.sourceBlobUrl };
  const step = async (argv: string[], what: string, onStdout = log) => {
    const r = await sandbox.run({ argv, cwd: ws.app, env, writable: [ws.root], tmpDir: ws.tmp, marker: id, timeoutMs: remaining(), signal, onStdout, onStderr: log });
    if (r.exitCode !== 0) throw new BuildError(`${what} ${describeResult(r)}.`);
  };
  try {
    net = await deps.network?.forGroup(`app:${job.appId}`, id);
    if (net) sandbox = inNetns(deps.sandbox, net.netns);
    const tarball = path.join(ws.root, 'source.tgz');
    await deps.fetchSource(job.sourceBlobUrl, tarball);
    fs.chmodSync(tarball, 0o644);
    await step(['tar', '-xzf', tarball, '-C', ws.app, '--no-same-owner'], 'Unpacking the source');
    fs.rmSync(tarball, { force: true });
    hoistSingleFolder(ws.app);
    const appJsonFile = path.join(ws.app, 'app.json');
    let urls: string[] = [];
    if (fs.existsSync(appJsonFile)) {
      const parsed = parseAppJson(fs.readFileSync(appJsonFile, 'utf8'));
      if (!parsed.ok) throw new BuildError(parsed.message);
      urls = (parsed.value.buildpacks ?? []).map((b) => b.url);
    }
    const removed = removeIgnored(ws.app);
    if (removed) log(`-----> Removed ${removed} entries listed in .slugignore\n`);
    writeEnvDir(sandbox, ws.env, job.configVars);
    if (await restoreCache(sandbox, deps.buildCacheRoot, job.appId, ws.cache)) log('-----> Restoring build cache\n');

    const prepared = await prepareBuildpacks({ sandbox, ws, env, marker: id, timeoutMs: remaining, signal, log }, urls);
    if (!prepared.ok) throw new BuildError(prepared.message);
    const bps = prepared.buildpacks;
    for (const [i, bp] of bps.entries()) {
      log(`-----> Running ${bp.name} bin/compile\n`);
      const exports = bps.slice(0, i).map((b) => path.join(b.dir, 'export'));
      await step(['bash', '-c', `${sourceFiles(exports)}\nexec ${q(path.join(bp.dir, 'bin/compile'))} ${q(ws.app)} ${q(ws.cache)} ${q(ws.env)}`], `Buildpack ${bp.name} bin/compile`);
    }
    await saveCache(deps.buildCacheRoot, job.appId, ws.cache, { move: true }); // the workspace goes after the build

    let processTypes: Record<string, string> = {};
    const last = bps.at(-1)!;
    if (fs.existsSync(path.join(last.dir, 'bin/release'))) {
      let yaml = '';
      await step([path.join(last.dir, 'bin/release'), ws.app], `Buildpack ${last.name} bin/release`, (c) => { yaml += c; });
      processTypes = parseReleaseYaml(yaml);
    }
    const procfile = path.join(ws.app, 'Procfile');
    if (fs.existsSync(procfile)) {
      const parsed = parseProcfile(fs.readFileSync(procfile, 'utf8'));
      if (!parsed.ok) throw new BuildError(parsed.message);
      processTypes = { ...processTypes, ...parsed.types };
    }
    log(`-----> Discovering process types\n       Procfile declares types -> ${Object.keys(processTypes).join(', ') || '(none)'}\n`);

    const slugFile = path.join(ws.root, 'slug.tgz');
    await step(['tar', '-czf', slugFile, '-C', ws.app, '.'], 'Compressing the slug');
    const size = fs.statSync(slugFile).size;
    log(`-----> Compressing...\n       Done: ${(size / 1024 / 1024).toFixed(1)}M\n`);
    // The control plane takes the slug before the workspace goes.
    emit({ type: 'end', ok: true, slugFile, processTypes, buildpacks: bps.map((b) => b.url), size });
  } catch (e) {
    const message = e instanceof BuildError ? e.message : signal.aborted ? 'Build cancelled.' : `Slipway could not run this build: ${(e as Error).message}`;
    log(` !     ${message}\n`);
    emit({ type: 'end', ok: false, message });
  } finally {
    killMarked((m) => m === id);
    await net?.release();
  }
}

export const cleanupBuild = (workRoot: string, buildId: string): void => removeWorkspace(workRoot, `build-${buildId}`);
