// Config vars and add-on URLs (secrets) never wait in the queue: a job is stored without them and
// they are read from their own tables when a runner or an agent claims it.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { getConfigVars } from '../store/apps.js';
import { getStageConfig } from '../store/stage-config-vars.js';
import { listAddons } from '../store/test-run-addons.js';
import { getRelease } from '../store/releases.js';
import { TEST_NODE_JOB, type TestNodeJob } from '../ci/test-node-job.js';
import { BUILD_JOB, RELEASE_JOB, type BuildJob, type ReleaseJob } from '../releases/jobs.js';
import { ONE_OFF_JOB, type OneOffJob } from '../runtime/one-off-job.js';
import type { StoredOneOffJob } from '../releases/agent-one-offs.js';

/** What is queued of each executed job: everything but its secrets. */
export type StoredTestNodeJob = Omit<TestNodeJob, 'configVars' | 'addonEnv'>;
export type StoredBuildJob = Omit<BuildJob, 'configVars'>;
export type StoredReleaseJob = Omit<ReleaseJob, 'config'>;

/** The claimed job's payload with its config filled in as it is now (other kinds unchanged). */
export async function withConfig<J extends { kind: string; payload: string }>(db: Kysely<Database>, job: J): Promise<J> {
  const p = JSON.parse(job.payload) as Record<string, unknown>;
  if (job.kind === TEST_NODE_JOB) {
    const n = p as unknown as StoredTestNodeJob;
    const live = (await listAddons(db, n.runId)).filter((a) => a.status === 'provisioned');
    const full: TestNodeJob = { ...n, configVars: await getStageConfig(db, n.pipelineId, 'test'), addonEnv: Object.fromEntries(live.map((a) => [`${a.name}_URL`, a.url])) };
    return { ...job, payload: JSON.stringify(full) };
  }
  if (job.kind === BUILD_JOB) {
    const b = p as unknown as StoredBuildJob;
    return { ...job, payload: JSON.stringify({ ...b, configVars: await getConfigVars(db, b.appId) } satisfies BuildJob) };
  }
  if (job.kind === RELEASE_JOB) {
    const r = p as unknown as StoredReleaseJob;
    // The release's own snapshot: a release phase runs with the config its release was made with.
    const config = JSON.parse((await getRelease(db, r.appId, r.releaseId)).config) as Record<string, string>;
    return { ...job, payload: JSON.stringify({ ...r, config } satisfies ReleaseJob) };
  }
  if (job.kind === ONE_OFF_JOB) {
    const o = p as unknown as StoredOneOffJob;
    const config = JSON.parse((await getRelease(db, o.appId, o.releaseId)).config) as Record<string, string>;
    return { ...job, payload: JSON.stringify({ ...o, config } satisfies OneOffJob) };
  }
  return job;
}
