// Runner side of one test node: Heroku CI's lifecycle steps 1, 3, 4, 5 and 7 in a sandbox.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox, RunSpec } from '../sandbox/sandbox.js';
import { describeResult, type SandboxResult } from '../sandbox/result.js';
import { killMarked } from '../sandbox/process-tree.js';
import { prepareBuildpacks, type PreparedBuildpack } from '../buildpacks/prepare.js';
import { q, sourceFiles, sourceProfileD } from '../buildpacks/shell.js';
import { createWorkspace, removeWorkspace, writeEnvDir, hoistSingleFolder, type Workspace } from './workspace.js';
import { cacheNotSavedLine, restoreCache, saveCache } from './setup-cache.js';
import { collectJUnit } from './collect-reports.js';
import type { Emit, OutputStream, TestNodeJob } from './test-node-job.js';
import type { ErrorId } from '../core/errors.js';
import type { DynoNet, DynoNetworks } from '../spaces/space-network.js';
import { inNetns } from '../spaces/sandbox-netns.js';
import { forTenant } from '../sandbox/tenant-sandbox.js';
import { withoutHostServers } from '../sandbox/host-servers.js';
import { withLimits } from '../sandbox/with-limits.js';
import { DEFAULT_TEST_SIZE, dynoSize, limitsFor } from '../core/dyno-size.js';

export interface NodeRunnerDeps {
  sandbox: Sandbox;
  workRoot: string;
  cacheRoot: string;
  /** Put the source tarball at `dest` (a local copy for the embedded runner, a download for an agent). */
  fetchSource(url: string, dest: string): Promise<void>;
  /** Namespaces in private spaces, for pipelines that run CI inside one. */
  network?: DynoNetworks;
  /** Server folders app.json may name as buildpacks (SLIPWAY_BUILDPACK_DIRS). */
  buildpackDirs: readonly string[];
}

class StepError extends Error {
  constructor(readonly errorId: ErrorId, message: string, readonly result?: SandboxResult) { super(message); }
}

/** Everything a step sees: CI's variables win over config vars, which win over app.json env. */
export function testEnv(job: TestNodeJob, ws: Workspace, withConfig: boolean): Record<string, string> {
  const nodeDir = path.dirname(process.execPath);
  return {
    ...(withConfig ? { ...job.config.env, ...job.configVars, ...job.addonEnv } : {}),
    PATH: [path.join(ws.app, 'node_modules/.bin'), path.join(ws.app, 'bin'), nodeDir, '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    HOME: ws.app,
    CI_REPORTS_DIR: path.join(ws.root, 'reports'),
    LANG: 'C.UTF-8',
    STACK: 'heroku-24',
    CI: 'true',
    HEROKU_TEST_RUN_ID: job.runId,
    HEROKU_TEST_RUN_NUMBER: String(job.runNumber),
    ...(job.branch ? { HEROKU_TEST_RUN_BRANCH: job.branch } : {}),
    HEROKU_TEST_RUN_COMMIT_VERSION: job.sha,
    CI_NODE_TOTAL: String(job.nodeTotal),
    CI_NODE_INDEX: String(job.nodeIndex),
  };
}

export async function runTestNode(job: TestNodeJob, deps: NodeRunnerDeps, emit: Emit, signal: AbortSignal): Promise<void> {
  // Every command of the node runs as the run's uid, with the limits of its size (app.json formation.test.size; Heroku CI: performance-m).
  const limits = limitsFor(dynoSize(job.config.size ?? DEFAULT_TEST_SIZE));
  // A Heroku test dyno has no Redis, PostgreSQL or nginx server of its own: add-ons provide them.
  const sized = withLimits(withoutHostServers(forTenant(deps.sandbox, job.tenant)), limits);
  let sandbox = sized;
  let nodeNet: DynoNet | undefined;
  const deadline = Date.now() + job.timeoutSeconds * 1000;
  const remaining = () => Math.max(0, deadline - Date.now());
  const marker = job.nodeId;
  let ws: Workspace;
  try {
    ws = await createWorkspace(sandbox, deps.workRoot, job.nodeId, limits.diskMb);
  } catch (e) {
    return emit({ type: 'end', outcome: 'errored', errorId: 'internal_error', message: `Slipway could not run this node: its workspace could not be created: ${(e as Error).message}` });
  }
  const out = (stream: OutputStream) => (data: Buffer | string) => emit({ type: 'output', stream, data });
  const setupLog = out('setup');

  /** Run a command in the node's sandbox; a timeout, cancel or failure becomes a StepError. */
  const step = async (spec: Omit<RunSpec, 'marker' | 'timeoutMs' | 'signal' | 'writable' | 'cwd'> & { cwd?: string }, failId: ErrorId, what: string) => {
    const r = await sandbox.run({ cwd: ws.app, writable: [ws.root], tmpDir: ws.tmp, marker, timeoutMs: remaining(), signal, ...spec });
    if (r.reason === 'cancelled') throw new StepError('invalid_state', 'cancelled', r);
    if (r.reason === 'limit-exceeded') throw new StepError('limit_exceeded', `${what[0]!.toUpperCase()}${what.slice(1)} ${describeResult(r)}.`, r);
    if (r.reason === 'timed-out' || remaining() === 0) throw new StepError('timed_out', `Test run timed out: it exceeded its time limit of ${job.timeoutSeconds} s and was terminated (during ${what}).`, r);
    if (r.exitCode !== 0) throw new StepError(failId, `${what[0]!.toUpperCase()}${what.slice(1)} ${describeResult(r)}.`, r);
    return r;
  };

  try {
    if (job.spaceId) {
      if (!deps.network) throw new Error('this runner cannot place test nodes in private spaces');
      nodeNet = await deps.network.forSpace(job.spaceId, job.nodeId);
      sandbox = inNetns(sized, nodeNet.netns);
      setupLog(`-----> Running inside the private space's network (${nodeNet.address})\n`);
    } else {
      // The common runtime: a namespace of its own, reaching this run's add-ons and the internet only.
      nodeNet = await deps.network?.forGroup(`run:${job.runId}`, job.nodeId);
      if (nodeNet) sandbox = inNetns(sized, nodeNet.netns);
    }
    // Step 1: a CI copy of the app — fresh workspace, source unpacked, cache restored.
    emit({ type: 'status', event: 'provision' });
    const tarball = path.join(ws.root, 'source.tgz');
    await deps.fetchSource(job.sourceBlobUrl, tarball);
    fs.chmodSync(tarball, 0o644); // readable by the sandbox user; the workspace itself is theirs alone
    await step({ argv: ['tar', '-xzf', tarball, '-C', ws.app, '--no-same-owner'], env: { PATH: '/usr/bin:/bin' }, onStderr: setupLog }, 'invalid_params', 'unpacking the source');
    fs.rmSync(tarball, { force: true });
    hoistSingleFolder(ws.app);
    const ciEnv = testEnv(job, ws, false);
    const fullEnv = testEnv(job, ws, true);
    sandbox.ownedDir(fullEnv['CI_REPORTS_DIR']!);
    writeEnvDir(sandbox, ws.env, { ...job.config.env, ...job.configVars, ...job.addonEnv });
    const restored = job.clearCache ? undefined : await restoreCache(sandbox, deps.cacheRoot, job.pipelineId, ws.cache);
    if (restored) setupLog('-----> Restoring setup cache from the previous run\n');
    else if (job.clearCache) setupLog('-----> Starting with an empty cache (--no-cache)\n');

    // Step 3: buildpacks, each with bin/test-compile if present, else bin/compile.
    emit({ type: 'status', event: 'build' });
    const prepared = await prepareBuildpacks({ sandbox, ws, env: ciEnv, marker, timeoutMs: remaining, signal, log: setupLog, allowedDirs: deps.buildpackDirs }, job.config.buildpacks);
    if (!prepared.ok) throw new StepError(prepared.errorId, prepared.message);
    const bps = prepared.buildpacks;
    for (const [i, bp] of bps.entries()) {
      const script = fs.existsSync(path.join(bp.dir, 'bin/test-compile')) ? 'test-compile' : 'compile';
      setupLog(`-----> Running ${bp.name} bin/${script}\n`);
      const exports = bps.slice(0, i).map((b) => path.join(b.dir, 'export'));
      await step({
        argv: ['bash', '-c', `${sourceFiles(exports)}\nexec ${q(path.join(bp.dir, 'bin', script))} ${q(ws.app)} ${q(ws.cache)} ${q(ws.env)}`],
        env: ciEnv, onStdout: setupLog, onStderr: setupLog,
      }, 'buildpack_failed', `buildpack ${bp.name} bin/${script}`);
    }

    // Step 4: test-setup from $HOME; on success the cache is kept for the next run.
    if (job.config.testSetup) {
      setupLog(`-----> Running test-setup: ${job.config.testSetup}\n`);
      await step({ argv: ['bash', '-c', `${sourceProfileD(ws.app)}\n${job.config.testSetup}`], env: fullEnv, onStdout: setupLog, onStderr: setupLog }, 'test_setup_failed', 'the test-setup script');
    }
    if (job.nodeIndex === 0) setupLog(cacheNotSavedLine(await saveCache(deps.cacheRoot, job.pipelineId, ws.cache, { restored })));
    emit({ type: 'setup-done' });
    emit({ type: 'stream-end', stream: 'setup' });

    // Step 5: scripts.test, else every buildpack's bin/test; TAP on stdout becomes test cases.
    emit({ type: 'status', event: 'test' });
    const commands = testCommands(job, ws, bps);
    if (!commands.length) throw new StepError('invalid_app_json', 'No tests to run: app.json has no scripts.test and no buildpack has bin/test. Add "environments": {"test": {"scripts": {"test": "..."}}}.');
    const testLog = out('test');
    // The TAP parser (and its YAML reader) is loaded by the first test step, not by every process that imports this module (the server).
    const { TapReader, failureReason, testOutcome } = await import('./tap-results.js');
    const tap = new TapReader();
    let exitCode: number | null = 0;
    for (const argv of commands) {
      const r = await sandbox.run({ argv, cwd: ws.app, env: fullEnv, writable: [ws.root], tmpDir: ws.tmp, marker, timeoutMs: remaining(), signal, onStdout: (c) => { tap.write(c); testLog(c); }, onStderr: testLog });
      if (r.reason === 'cancelled') throw new StepError('invalid_state', 'cancelled', r);
      if (r.reason === 'timed-out') throw new StepError('timed_out', `Test run timed out: it exceeded its time limit of ${job.timeoutSeconds} s and was terminated (during the tests).`, r);
      if (r.reason === 'limit-exceeded') throw new StepError('limit_exceeded', `The test command ${describeResult(r)}.`, r);
      exitCode = r.exitCode ?? 1;
      if (exitCode !== 0) break;
    }
    const summary = await tap.end();
    // JUnit reports, when the tests wrote any, are the richer record; else TAP's cases.
    const junit = await collectJUnit(ws.root, [[fullEnv['CI_REPORTS_DIR']!, '$CI_REPORTS_DIR'], [path.join(ws.app, 'test-results'), 'test-results']], testLog);
    if (junit.length) testLog(`-----> Read ${junit.length} test results from JUnit reports\n`);
    const cases = junit.length ? junit.map((c, i) => ({ ...c, number: i + 1 })) : summary.cases;
    emit({ type: 'cases', cases });
    emit({ type: 'stream-end', stream: 'test' });
    const outcome = testOutcome(exitCode, summary, junit);
    const why = outcome === 'failed' ? failureReason(exitCode, summary, junit) : undefined;
    emit({ type: 'end', outcome, exitCode, ...(why ? { message: why[0]!.toUpperCase() + why.slice(1) + '.' } : {}) });
  } catch (e) {
    emit({ type: 'stream-end', stream: 'setup' });
    emit({ type: 'stream-end', stream: 'test' });
    if (e instanceof StepError && e.result?.reason === 'cancelled') emit({ type: 'end', outcome: 'cancelled', message: 'Cancelled.' });
    else if (e instanceof StepError) emit({ type: 'end', outcome: 'errored', errorId: e.errorId, message: e.message, exitCode: e.result?.exitCode ?? null });
    else emit({ type: 'end', outcome: 'errored', errorId: 'internal_error', message: `Slipway could not run this node: ${(e as Error).message}` });
  } finally {
    // Step 7: nothing of the node outlives it.
    killMarked((m) => m === marker);
    await nodeNet?.release();
    await removeWorkspace(deps.workRoot, job.nodeId);
  }
}

function testCommands(job: TestNodeJob, ws: Workspace, bps: PreparedBuildpack[]): string[][] {
  const prelude = sourceProfileD(ws.app);
  if (job.config.test) return [['bash', '-c', `${prelude}\n${job.config.test}`]];
  return bps.filter((b) => fs.existsSync(path.join(b.dir, 'bin/test')))
    .map((b) => ['bash', '-c', `${prelude}\nexec ${q(path.join(b.dir, 'bin/test'))} ${q(ws.app)} ${q(ws.env)}`]);
}
