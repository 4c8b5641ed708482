// A pushed commit's deploy to an app: waits for CI (when the pipeline says so), builds, releases.
import { statusMachine } from './status-machine.js';

export type DeployStatus = 'waiting' | 'building' | 'releasing' | 'succeeded' | 'failed' | 'skipped';

export const DEPLOY = statusMachine<DeployStatus>('deploy', {
  waiting: ['building', 'skipped'], // the run passed / did not
  building: ['releasing', 'failed'],
  releasing: ['succeeded', 'failed'],
  succeeded: [], failed: [], skipped: [],
});
