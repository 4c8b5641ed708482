// Heroku CI's lifecycle steps 1 and 3 for a node's app: the source unpacked, the setup cache
// restored, the buildpacks put in place (or detected) and each one's bin/test-compile (else bin/compile).
import fs from 'node:fs';
import path from 'node:path';
import { placeFirstBuiltin, prepareBuildpacks, type PreparedBuildpack } from '../buildpacks/prepare.js';
import { unpackSource } from './unpack-source.js';
import { q, sourceFiles } from '../buildpacks/shell.js';
import { writeEnvDir } from './workspace.js';
import { restoreCache, type Restored } from './setup-cache.js';
import type { TestNodeJob } from './test-node-job.js';
import { runStep, StepError, type NodeSteps } from './node-steps.js';

export interface CompileDeps {
  cacheRoot: string;
  buildpackDirs: readonly string[];
  fetchSource(url: string, dest: string): Promise<void>;
}

/** The app as test-compile left it: its buildpacks (for bin/test) and what the cache restore put in CACHE_DIR. */
export interface Compiled { buildpacks: PreparedBuildpack[]; restored: Restored | undefined }

/**
 * Steps 1 and 3 in `n.ws`, with `env` (the CI variables, no config vars) for the buildpacks;
 * `onBuild` when step 3 begins. Throws StepError.
 */
export async function compileApp(job: TestNodeJob, deps: CompileDeps, n: NodeSteps, env: Record<string, string>, log: (s: Buffer | string) => void, onBuild: () => void): Promise<Compiled> {
  const { sandbox, ws } = n;
  const tarball = path.join(ws.root, 'source.tgz');
  await deps.fetchSource(job.sourceBlobUrl, tarball);
  fs.chmodSync(tarball, 0o644); // readable by the sandbox user; the workspace itself is theirs alone
  writeEnvDir(sandbox, ws.env, { ...job.config.env, ...job.configVars, ...job.addonEnv });
  // The cache first (CACHE_DIR only): the unpack and the first detection then share one sandbox start.
  const restored = job.clearCache ? undefined : await restoreCache(sandbox, deps.cacheRoot, job.pipelineId, ws.cache);
  if (restored) log('-----> Restoring setup cache from the previous run\n');
  else if (job.clearCache) log('-----> Starting with an empty cache (--no-cache)\n');
  n.clock.lap('setup cache restored');
  const detecting = job.config.buildpacks.length === 0;
  const firstDetected = await unpackSource(n, tarball, detecting ? await placeFirstBuiltin(n) : undefined, env, log);
  fs.rmSync(tarball, { force: true });
  n.clock.lap(detecting ? 'source unpacked and buildpack detected' : 'source unpacked');
  onBuild();

  const prepared = await prepareBuildpacks({ sandbox, ws, env, marker: n.marker, timeoutMs: n.remaining, signal: n.signal, log, allowedDirs: deps.buildpackDirs }, job.config.buildpacks, firstDetected);
  if (!prepared.ok) throw new StepError(prepared.errorId, prepared.message);
  n.clock.lap(detecting ? 'buildpack ready' : 'buildpacks placed');
  const bps = prepared.buildpacks;
  for (const [i, bp] of bps.entries()) {
    const script = fs.existsSync(path.join(bp.dir, 'bin/test-compile')) ? 'test-compile' : 'compile';
    log(`-----> Running ${bp.name} bin/${script}\n`);
    const exports = bps.slice(0, i).map((b) => path.join(b.dir, 'export'));
    await runStep(n, {
      argv: ['bash', '-c', `${sourceFiles(exports)}\nexec ${q(path.join(bp.dir, 'bin', script))} ${q(ws.app)} ${q(ws.cache)} ${q(ws.env)}`],
      env, onStdout: log, onStderr: log,
    }, 'buildpack_failed', `buildpack ${bp.name} bin/${script}`);
    n.clock.lap(`${bp.name} bin/${script}`);
  }
  return { buildpacks: bps, restored };
}
