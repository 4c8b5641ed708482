// Runner side of one test node: Heroku CI's lifecycle steps 1, 3, 4, 5 and 7 in a sandbox.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { killMarked } from '../sandbox/process-tree.js';
import type { PreparedBuildpack } from '../buildpacks/prepare.js';
import { q, sourceProfileD } from '../buildpacks/shell.js';
import { createWorkspace, removeWorkspace, writeEnvDir, type Workspace } from './workspace.js';
import { cacheNotSavedLine, saveCache } from './setup-cache.js';
import { collectJUnit } from './collect-reports.js';
import type { Emit, OutputStream, TestNodeJob } from './test-node-job.js';
import { compileApp, type Compiled } from './compile-app.js';
import { runStep, StepError, type NodeSteps } from './node-steps.js';
import { copyCompiled, movedTo, takeCompiled, type Taken } from './shared-compile.js';
import { counted, stepClock } from './step-clock.js';
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
  const clock = stepClock();
  // Every command of the node runs as the run's uid, with the limits of its size (app.json formation.test.size; Heroku CI: performance-m).
  const limits = limitsFor(dynoSize(job.config.size ?? DEFAULT_TEST_SIZE));
  // A Heroku test dyno has no Redis, PostgreSQL or nginx server of its own: add-ons provide them.
  const sized = counted(withLimits(withoutHostServers(forTenant(deps.sandbox, job.tenant)), limits), clock);
  let sandbox = sized;
  let nodeNet: DynoNet | undefined;
  const deadline = Date.now() + job.timeoutSeconds * 1000;
  const remaining = () => Math.max(0, deadline - Date.now());
  const marker = job.nodeId;
  let ws!: Workspace;
  const out = (stream: OutputStream) => (data: Buffer | string) => emit({ type: 'output', stream, data });
  const setupLog = out('setup');
  const steps = (): NodeSteps => ({ sandbox, ws, marker, signal, timeoutSeconds: job.timeoutSeconds, remaining, clock });
  const ownWorkspace = async () => {
    try {
      ws = await createWorkspace(sized, deps.workRoot, job.nodeId, limits.diskMb);
      sized.ownedDir(path.join(ws.root, 'reports')); // CI_REPORTS_DIR
    } catch (e) {
      throw new StepError('internal_error', `Slipway could not run this node: its workspace could not be created: ${(e as Error).message}`);
    }
  };
  let shared: Taken | undefined;
  let taking: Promise<Taken> | undefined;
  let wsReady: Promise<void> | undefined;

  try {
    // The node's workspace is made while its network is readied (in a parallel run: while the app compiles, below).
    const makeOwnWorkspace = () => {
      wsReady = ownWorkspace();
      wsReady.catch(() => {}); // awaited below; a failure is handled there
    };
    if (job.nodeTotal === 1) makeOwnWorkspace();
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
    clock.lap('network');
    // Step 1: a CI copy of the app — fresh workspace, source unpacked, cache restored; step 3: buildpacks.
    emit({ type: 'status', event: 'provision' });
    const building = () => emit({ type: 'status', event: 'build' });
    let compiled: Compiled;
    if (job.nodeTotal === 1) {
      await wsReady;
      clock.lap('workspace');
      compiled = await compileApp(job, deps, steps(), testEnv(job, ws, false), setupLog, building);
    } else {
      // A parallel run compiles once on this host; each node starts from its own copy. The compile
      // starts (or is awaited) first: this node's own workspace is made meanwhile, off its path.
      taking = (async () => {
        for (;;) {
          const t = await takeCompiled({
            runId: job.runId, nodeIndex: job.nodeIndex, nodeTotal: job.nodeTotal, workRoot: deps.workRoot, log: setupLog,
            makeWorkspace: (id) => createWorkspace(sandbox, deps.workRoot, id, limits.diskMb),
            compile: (cws, log) => compileApp(job, deps, { ...steps(), ws: cws }, testEnv(job, cws, false), log, building),
          });
          if (t.outcome.ok || t.outcome.error.result?.reason !== 'cancelled' || signal.aborted) return t;
          await t.done(); // the node that compiled was stopped (not this one): compile again
        }
      })();
      // Begun after the compile's own workspace: the compile, on every node's path, takes the prepared filesystem image.
      makeOwnWorkspace();
      await wsReady;
      clock.lap('workspace');
      shared = await taking;
      const o = shared.outcome;
      if (!shared.first) {
        building();
        setupLog(o.output);
      }
      if (!o.ok) throw o.error;
      clock.lap('compiled app awaited');
      setupLog(`-----> This run's ${job.nodeTotal} nodes share one compile (node ${o.by} compiled the app); this node starts from its own copy\n`);
      await copyCompiled(o.ws, ws);
      await shared.done();
      compiled = { ...o.compiled, buildpacks: o.compiled.buildpacks.map((b) => ({ ...b, dir: movedTo(b.dir, o.ws, ws) })) };
      writeEnvDir(sandbox, ws.env, { ...job.config.env, ...job.configVars, ...job.addonEnv });
      clock.lap('compiled app copied');
    }
    const fullEnv = testEnv(job, ws, true);
    const bps = compiled.buildpacks;

    // Step 4: test-setup from $HOME; on success the cache is kept for the next run.
    if (job.config.testSetup) {
      setupLog(`-----> Running test-setup: ${job.config.testSetup}\n`);
      await runStep(steps(), { argv: ['bash', '-c', `${sourceProfileD(ws.app)}\n${job.config.testSetup}`], env: fullEnv, onStdout: setupLog, onStderr: setupLog }, 'test_setup_failed', 'the test-setup script');
      clock.lap('test-setup');
    }
    if (job.nodeIndex === 0) {
      setupLog(cacheNotSavedLine(await saveCache(deps.cacheRoot, job.pipelineId, ws.cache, { restored: compiled.restored })));
      clock.lap('setup cache saved');
    }
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
    clock.lap('tests');
    const summary = await tap.end();
    // JUnit reports, when the tests wrote any, are the richer record; else TAP's cases.
    const junit = await collectJUnit(ws.root, [[fullEnv['CI_REPORTS_DIR']!, '$CI_REPORTS_DIR'], [path.join(ws.app, 'test-results'), 'test-results']], testLog);
    if (junit.length) testLog(`-----> Read ${junit.length} test results from JUnit reports\n`);
    const cases = junit.length ? junit.map((c, i) => ({ ...c, number: i + 1 })) : summary.cases;
    emit({ type: 'cases', cases });
    emit({ type: 'stream-end', stream: 'test' });
    const outcome = testOutcome(exitCode, summary, junit);
    const why = outcome === 'failed' ? failureReason(exitCode, summary, junit) : undefined;
    clock.lap('results read');
    emit({ type: 'end', outcome, exitCode, ...(why ? { message: why[0]!.toUpperCase() + why.slice(1) + '.' } : {}) });
  } catch (e) {
    emit({ type: 'stream-end', stream: 'setup' });
    emit({ type: 'stream-end', stream: 'test' });
    if (e instanceof StepError && e.result?.reason === 'cancelled') emit({ type: 'end', outcome: 'cancelled', message: 'Cancelled.' });
    else if (e instanceof StepError) emit({ type: 'end', outcome: 'errored', errorId: e.errorId, message: e.message, exitCode: e.result?.exitCode ?? null });
    else emit({ type: 'end', outcome: 'errored', errorId: 'internal_error', message: `Slipway could not run this node: ${(e as Error).message}` });
  } finally {
    // Step 7: nothing of the node outlives it.
    await wsReady?.catch(() => {});
    shared ??= await taking?.catch(() => undefined);
    await shared?.done();
    killMarked((m) => m === marker);
    await nodeNet?.release();
    await removeWorkspace(deps.workRoot, job.nodeId);
    clock.lap('cleanup');
    emit({ type: 'steps', steps: clock.steps });
  }
}

function testCommands(job: TestNodeJob, ws: Workspace, bps: PreparedBuildpack[]): string[][] {
  const prelude = sourceProfileD(ws.app);
  if (job.config.test) return [['bash', '-c', `${prelude}\n${job.config.test}`]];
  return bps.filter((b) => fs.existsSync(path.join(b.dir, 'bin/test')))
    .map((b) => ['bash', '-c', `${prelude}\nexec ${q(path.join(b.dir, 'bin/test'))} ${q(ws.app)} ${q(ws.env)}`]);
}
