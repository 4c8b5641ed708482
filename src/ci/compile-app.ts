// Heroku CI's lifecycle steps 1 and 3 for a node's app: the source unpacked, the setup cache
// restored, the buildpacks put in place (or detected) and each one's bin/test-compile (else bin/compile).
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox, RunSpec } from '../sandbox/sandbox.js';
import { describeResult, type SandboxResult } from '../sandbox/result.js';
import { placeFirstBuiltin, prepareBuildpacks, type PreparedBuildpack } from '../buildpacks/prepare.js';
import { unpackSource } from './unpack-source.js';
import { q, sourceFiles } from '../buildpacks/shell.js';
import { writeEnvDir, type Workspace } from './workspace.js';
import { restoreCache, type Restored } from './setup-cache.js';
import type { TestNodeJob } from './test-node-job.js';
import type { ErrorId } from '../core/errors.js';
import type { StepClock } from './step-clock.js';

/** A step that ended the node: its error id and message (and the command's result, when one ran). */
export class StepError extends Error {
  constructor(readonly errorId: ErrorId, message: string, readonly result?: SandboxResult) { super(message); }
}

/** What the steps of one node share: its sandbox, workspace, deadline and clock. */
export interface NodeSteps {
  sandbox: Sandbox;
  ws: Workspace;
  marker: string;
  signal: AbortSignal;
  timeoutSeconds: number;
  remaining(): number;
  clock: StepClock;
}

export type StepSpec = Omit<RunSpec, 'marker' | 'timeoutMs' | 'signal' | 'writable' | 'cwd'> & { cwd?: string };

/** Run a command in the node's sandbox; a timeout, cancel or failure becomes a StepError. */
export async function runStep(n: NodeSteps, spec: StepSpec, failId: ErrorId, what: string): Promise<SandboxResult> {
  const r = await n.sandbox.run({ cwd: n.ws.app, writable: [n.ws.root], tmpDir: n.ws.tmp, marker: n.marker, timeoutMs: n.remaining(), signal: n.signal, ...spec });
  const What = `${what[0]!.toUpperCase()}${what.slice(1)}`;
  if (r.reason === 'cancelled') throw new StepError('invalid_state', 'cancelled', r);
  if (r.reason === 'limit-exceeded') throw new StepError('limit_exceeded', `${What} ${describeResult(r)}.`, r);
  if (r.reason === 'timed-out' || n.remaining() === 0) throw new StepError('timed_out', `Test run timed out: it exceeded its time limit of ${n.timeoutSeconds} s and was terminated (during ${what}).`, r);
  if (r.exitCode !== 0) throw new StepError(failId, `${What} ${describeResult(r)}.`, r);
  return r;
}

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
