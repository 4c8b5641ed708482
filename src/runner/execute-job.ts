// The execution side of the jobs a runner pulls (test nodes, builds, release phases): the same code
// for the embedded runner and for remote agents; only how sources and slugs arrive differs.
import type { Sandbox } from '../sandbox/sandbox.js';
import type { InputLimits } from '../config.js';
import type { DynoNetworks } from '../spaces/space-network.js';
import type { SlugTrees } from '../runtime/slug-trees.js';
import { runTestNode } from '../ci/run-test-node.js';
import { TEST_NODE_JOB, type RunnerEvent, type TestNodeJob } from '../ci/test-node-job.js';
import { runBuild, cleanupBuild } from '../releases/run-build.js';
import { runReleasePhase } from '../releases/run-release-phase.js';
import { BUILD_JOB, RELEASE_JOB, type BuildEvent, type BuildJob, type ReleaseEvent, type ReleaseJob } from '../releases/jobs.js';
import type { Readable } from 'node:stream';
import { ONE_OFF_JOB, ONE_OFF_TIMEOUT_MS, runOneOffJob, type OneOffEvent, type OneOffJob } from '../runtime/one-off-job.js';

/** The kinds a runner executes on its host (add-on provisioning and deliveries stay on the server). */
export const EXECUTED_KINDS = [TEST_NODE_JOB, BUILD_JOB, RELEASE_JOB] as const;
export type JobEvent = RunnerEvent | BuildEvent | ReleaseEvent | OneOffEvent;

export interface ExecDeps {
  sandbox: Sandbox;
  workRoot: string;
  /** Test-setup caches and build caches stay on the host that ran the job. */
  cacheRoot: string;
  buildCacheRoot: string;
  network?: DynoNetworks;
  /** This host's unpacked slugs (release phases share them with the dynos). */
  slugTrees?: SlugTrees;
  /** The same, for builds to unpack their slug into: the server's own runner only (an agent's slug id is the server's to choose). */
  buildTrees?: SlugTrees;
  buildpackDirs: readonly string[];
  limits: InputLimits;
  buildTimeoutMs: number;
  /** Put a job's source tarball at `dest`. */
  fetchSource(url: string, dest: string): Promise<void>;
  /** A local file holding the slug, and what to do once the release phase is done with it. */
  slugFile(slugId: string, jobId: string): Promise<{ path: string; done(): Promise<void> }>;
  /** An attached one-off's input (agents only: the server runs its own one-offs without a job). */
  openInput?(jobId: string): Promise<Readable>;
}

/**
 * Run one job, its events to `emit`; `flush` resolves once every event emitted so far is recorded
 * (a build's slug must be taken before its workspace goes).
 */
export async function executeJob(job: { id: string; kind: string; payload: string }, deps: ExecDeps, emit: (e: JobEvent) => void, flush: () => Promise<void>, signal: AbortSignal): Promise<void> {
  if (job.kind === TEST_NODE_JOB) {
    await runTestNode(JSON.parse(job.payload) as TestNodeJob, { sandbox: deps.sandbox, workRoot: deps.workRoot, cacheRoot: deps.cacheRoot, network: deps.network, fetchSource: deps.fetchSource, buildpackDirs: deps.buildpackDirs }, emit, signal);
    return flush();
  }
  if (job.kind === BUILD_JOB) {
    const payload = JSON.parse(job.payload) as BuildJob;
    try {
      await runBuild(payload, { sandbox: deps.sandbox, workRoot: deps.workRoot, buildCacheRoot: deps.buildCacheRoot, fetchSource: deps.fetchSource, timeoutMs: deps.buildTimeoutMs, limits: deps.limits, buildpackDirs: deps.buildpackDirs, network: deps.network, slugTrees: deps.buildTrees }, emit, signal);
      await flush();
    } finally { await cleanupBuild(deps.workRoot, payload.buildId); }
    return;
  }
  if (job.kind === RELEASE_JOB) {
    const payload = JSON.parse(job.payload) as ReleaseJob;
    // Fetched only when this host has no tree of the slug yet.
    let fetched: Promise<{ path: string; done(): Promise<void> }> | undefined;
    const slug = {
      id: payload.slugId,
      file: async () => {
        try { return (await (fetched ??= deps.slugFile(payload.slugId, job.id))).path; } catch (e) { throw new Error(`its slug could not be fetched (${(e as Error).message})`, { cause: e }); }
      },
    };
    try {
      await runReleasePhase(payload, { sandbox: deps.sandbox, workRoot: deps.workRoot, slug, trees: deps.slugTrees, network: deps.network }, emit, signal);
      await flush();
    } finally { if (fetched) await fetched.then((s) => s.done(), () => {}); }
    return;
  }
  if (job.kind === ONE_OFF_JOB && deps.openInput) {
    const openInput = deps.openInput;
    await runOneOffJob(JSON.parse(job.payload) as OneOffJob, {
      sandbox: deps.sandbox, workRoot: deps.workRoot, network: deps.network, timeoutMs: ONE_OFF_TIMEOUT_MS,
      slugFile: (slugId) => deps.slugFile(slugId, job.id), openInput: () => openInput(job.id),
    }, emit, signal);
    return flush();
  }
  throw new Error(`no executor for jobs of kind ${job.kind}`);
}
