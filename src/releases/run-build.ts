// Runner side of a build: source → buildpacks' bin/compile (app config in ENV_DIR, the app's build
// cache in CACHE_DIR) → bin/release and Procfile → a slug tarball. Output streams as it happens.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { forTenant } from '../sandbox/tenant-sandbox.js';
import { killMarked } from '../sandbox/process-tree.js';
import { prepareBuildpacks } from '../buildpacks/prepare.js';
import { q, sourceFiles } from '../buildpacks/shell.js';
import { createWorkspace, removeWorkspace, writeEnvDir, hoistSingleFolder, type Workspace } from '../ci/workspace.js';
import { cacheNotSavedLine, openBuildCache, slugLayerDir, type BuildCache } from './build-cache.js';
import { packSlug } from './pack-slug.js';
import { parseAppJson } from '../core/app-json.js';
import { parseProcfile, parseReleaseYaml } from '../core/procfile.js';
import { slugignoreMatcher } from '../core/slugignore.js';
import { readTenantFile } from '../sandbox/tenant-file.js';
import type { InputLimits } from '../config.js';
import type { BuildEvent, BuildJob } from './jobs.js';
import { BUILD_SIZE, dynoSize, limitsFor } from '../core/dyno-size.js';
import { withLimits } from '../sandbox/with-limits.js';
import type { DynoNet, DynoNetworks } from '../spaces/space-network.js';
import { inNetns } from '../spaces/sandbox-netns.js';
import { counted, stepClock } from '../ci/step-clock.js';
import { newId } from '../core/ids.js';
import type { OpenTree, SlugTrees } from '../runtime/slug-trees.js';

export interface BuildDeps {
  sandbox: Sandbox; workRoot: string; buildCacheRoot: string; fetchSource(url: string, dest: string): Promise<void>; timeoutMs: number;
  limits: InputLimits;
  /** Server folders app.json may name as buildpacks (SLIPWAY_BUILDPACK_DIRS). */
  buildpackDirs: readonly string[];
  /** A namespace of the app's on the default network (outbound through NAT: buildpacks download). */
  network?: Pick<DynoNetworks, 'forGroup'>;
  /** This host's slug trees: the slug is unpacked into one while it is packed (its release phase and dynos here then unpack nothing). */
  slugTrees?: Pick<SlugTrees, 'open'>;
}

class BuildError extends Error {}

const KB = 1024;
/** What root reads of the app's own files, at most (Procfile and .slugignore are a few lines). */
const MAX_READ = { 'Procfile': 256 * KB, '.slugignore': 256 * KB, 'app.json': 512 * KB } as const;
const MAX_RELEASE_OUTPUT = 1024 * KB;

/** One of the app's files, read as Slipway reads tenant files (regular, inside the workspace, bounded); null when absent. */
async function appFile(root: string, app: string, name: keyof typeof MAX_READ): Promise<string | null> {
  const r = await readTenantFile(path.join(app, name), root, { maxBytes: MAX_READ[name], label: name });
  if (!r.ok) throw new BuildError(r.message);
  return r.text;
}

async function removeIgnored(root: string, app: string): Promise<number> {
  const text = await appFile(root, app, '.slugignore');
  if (text === null) return 0;
  const ignored = slugignoreMatcher(text);
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
  // Every command of a build (detection, buildpacks, bin/release) runs as the app's uid, with the limits of a build dyno.
  const limits = limitsFor(dynoSize(BUILD_SIZE));
  const clock = stepClock();
  let sandbox = counted(withLimits(forTenant(deps.sandbox, job.tenant), limits), clock);
  let net: DynoNet | undefined;
  const id = `build-${job.buildId}`;
  let ws: Workspace;
  let cache: BuildCache;
  try {
    ws = await createWorkspace(sandbox, deps.workRoot, id, limits.diskMb);
    // Before any of the tenant's commands runs in the workspace (see openBuildCache).
    cache = await openBuildCache(sandbox, deps.buildCacheRoot, job.appId, ws);
  } catch (e) {
    const message = `Slipway could not run this build: its workspace could not be set up: ${(e as Error).message}`;
    emit({ type: 'output', data: ` !     ${message}\n` });
    return emit({ type: 'end', ok: false, message });
  }
  const deadline = Date.now() + deps.timeoutMs;
  const remaining = () => Math.max(0, deadline - Date.now());
  const log = (data: Buffer | string) => emit({ type: 'output', data });
  const env = { PATH: [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'), HOME: ws.app, LANG: 'C.UTF-8', STACK: 'heroku-24', ...(job.sourceVersion ? { SOURCE_VERSION: job.sourceVersion } : {}) };
  let tree: OpenTree | undefined;
  // The slug's tree is made (an image, mkfs, a mount) while the build runs, not after it.
  let treeOpening: Promise<OpenTree | undefined> | undefined;
  const step = async (argv: string[], what: string, onStdout = log, writable = [ws.root]) => {
    const r = await sandbox.run({ argv, cwd: ws.app, env, writable, tmpDir: ws.tmp, marker: id, timeoutMs: remaining(), signal, onStdout, onStderr: log });
    if (r.exitCode !== 0) throw new BuildError(`${what} ${describeResult(r)}.`);
  };
  try {
    clock.lap(`workspace, cache (${cache.kind})`);
    net = await deps.network?.forGroup(`app:${job.appId}`, id);
    if (net) sandbox = inNetns(sandbox, net.netns);
    clock.lap('network');
    const tarball = path.join(ws.root, 'source.tgz');
    await deps.fetchSource(job.sourceBlobUrl, tarball);
    fs.chmodSync(tarball, 0o644);
    await step(['tar', '-xzf', tarball, '-C', ws.app, '--no-same-owner'], 'Unpacking the source');
    fs.rmSync(tarball, { force: true });
    hoistSingleFolder(ws.app);
    clock.lap('source');
    treeOpening = deps.slugTrees?.open(sandbox).catch(() => undefined);
    const appJson = await appFile(ws.root, ws.app, 'app.json');
    let urls: string[] = [];
    if (appJson !== null) {
      const parsed = parseAppJson(appJson);
      if (!parsed.ok) throw new BuildError(parsed.message);
      urls = (parsed.value.buildpacks ?? []).map((b) => b.url);
    }
    if (job.buildpacks?.length) {
      urls = job.buildpacks;
      log(`-----> Using the app's buildpacks: ${urls.join(', ')}\n`);
    }
    const removed = await removeIgnored(ws.root, ws.app);
    if (removed) log(`-----> Removed ${removed} entries listed in .slugignore\n`);
    writeEnvDir(sandbox, ws.env, job.configVars);
    if (cache.restored) log('-----> Restoring build cache\n');

    const prepared = await prepareBuildpacks({ sandbox, ws, env, marker: id, timeoutMs: remaining, signal, log, allowedDirs: deps.buildpackDirs }, urls);
    if (!prepared.ok) throw new BuildError(prepared.message);
    const bps = prepared.buildpacks;
    clock.lap('detect');
    for (const [i, bp] of bps.entries()) {
      log(`-----> Running ${bp.name} bin/compile\n`);
      const exports = bps.slice(0, i).map((b) => path.join(b.dir, 'export'));
      await step(['bash', '-c', `${sourceFiles(exports)}\nexec ${q(path.join(bp.dir, 'bin/compile'))} ${q(ws.app)} ${q(ws.cache)} ${q(ws.env)}`], `Buildpack ${bp.name} bin/compile`);
      clock.lap(`compile ${bp.name}`);
    }
    log(cacheNotSavedLine(await cache.save(limits.diskMb * 1024 * 1024), limits.diskMb * 1024 * 1024));
    clock.lap('cache save');

    let processTypes: Record<string, string> = {};
    const last = bps.at(-1)!;
    if (fs.existsSync(path.join(last.dir, 'bin/release'))) {
      let yaml = '';
      await step([path.join(last.dir, 'bin/release'), ws.app], `Buildpack ${last.name} bin/release`, (c) => { if (yaml.length <= MAX_RELEASE_OUTPUT) yaml += c; });
      if (yaml.length > MAX_RELEASE_OUTPUT) throw new BuildError(`Buildpack ${last.name} bin/release printed more than ${MAX_RELEASE_OUTPUT / KB} KB; Slipway reads at most that much of its YAML.`);
      processTypes = parseReleaseYaml(yaml);
    }
    const procfile = await appFile(ws.root, ws.app, 'Procfile');
    if (procfile !== null) {
      const parsed = parseProcfile(procfile);
      if (!parsed.ok) throw new BuildError(parsed.message);
      processTypes = { ...processTypes, ...parsed.types };
    }
    log(`-----> Discovering process types\n       Procfile declares types -> ${Object.keys(processTypes).join(', ') || '(none)'}\n`);
    clock.lap('release');

    const slugFile = path.join(ws.root, 'slug.tgz');
    // With this host's slug trees, the same tar stream is unpacked into a tree as it is compressed (a tree that
    // fails is not kept; the slug is what counts).
    tree = await treeOpening;
    treeOpening = undefined;
    const packed = await packSlug(sandbox, {
      run: { cwd: ws.app, env, tmpDir: ws.tmp, marker: id, timeoutMs: remaining(), onStderr: log }, signal,
      app: ws.app, slugFile, writable: tree ? [ws.root, tree.path] : [ws.root], tree: tree?.path, limits: deps.limits, log,
      layerDir: slugLayerDir(deps.buildCacheRoot, job.appId),
    });
    if (!packed.ok) throw new BuildError(packed.message);
    if (packed.treeFailed) { await tree?.discard(); tree = undefined; }
    const size = packed.size;
    clock.lap(packed.modules === 'kept' ? 'slug compress (node_modules kept), check' : 'slug compress, check');
    const slugId = newId();
    const published = await tree?.publish(slugId).then(() => true, () => false);
    if (!published) await tree?.discard();
    tree = undefined;
    emit({ type: 'steps', steps: clock.steps });
    // The control plane takes the slug before the workspace goes.
    emit({ type: 'end', ok: true, slugFile, processTypes, buildpacks: bps.map((b) => b.url), size, ...published ? { slugId } : {} });
  } catch (e) {
    const message = e instanceof BuildError ? e.message : signal.aborted ? 'Build cancelled.' : `Slipway could not run this build: ${(e as Error).message}`;
    log(` !     ${message}\n`);
    emit({ type: 'end', ok: false, message });
  } finally {
    killMarked((m) => m === id);
    await tree?.discard();
    await (await treeOpening)?.discard();
    await cache.close().catch(() => {}); // removing the workspace unmounts what is left
    await net?.release();
  }
}

export const cleanupBuild = (workRoot: string, buildId: string): Promise<void> => removeWorkspace(workRoot, `build-${buildId}`);
