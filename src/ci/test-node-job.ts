// The runner seam for test nodes: the job a runner receives and the events it sends back.
// Runner code never touches the store; the control plane turns these events into rows.
import type { TestConfig } from '../core/app-json.js';
import type { NewTestCase } from '../store/test-runs.js';
import type { ErrorId } from '../core/errors.js';
import type { Tenant } from '../sandbox/user.js';
import type { StepTime } from './step-clock.js';

export const TEST_NODE_JOB = 'test-node';
export const TEST_RUN_ADDONS_JOB = 'test-run-addons';

export interface TestNodeJob {
  runId: string;
  nodeId: string;
  pipelineId: string;
  runNumber: number;
  nodeIndex: number;
  nodeTotal: number;
  branch: string | null;
  sha: string;
  sourceBlobUrl: string;
  config: TestConfig;
  /** The pipeline's test-stage config vars (secrets). */
  configVars: Record<string, string>;
  /** `<NAME>_URL` of the run's add-ons. */
  addonEnv: Record<string, string>;
  timeoutSeconds: number;
  clearCache: boolean;
  /** The private space the node runs in (`pipelines:update --ci-space`), so it reaches internal services. */
  spaceId?: string | null;
  /** The run's own uid, the same for every node (undefined: the sandbox user). */
  tenant?: Tenant;
}

export type OutputStream = 'setup' | 'test';

export type RunnerEvent =
  | { type: 'status'; event: 'provision' | 'build' | 'test' }
  | { type: 'output'; stream: OutputStream; data: Buffer | string }
  | { type: 'stream-end'; stream: OutputStream }
  | { type: 'setup-done' }
  | { type: 'cases'; cases: NewTestCase[] }
  | { type: 'end'; outcome: 'succeeded' | 'failed' | 'errored' | 'cancelled'; exitCode?: number | null; errorId?: ErrorId; message?: string }
  /** Where the node's time went (after its end): for the operator's log and bench/ci-overhead. */
  | { type: 'steps'; steps: StepTime[] };

export type Emit = (e: RunnerEvent) => void;
