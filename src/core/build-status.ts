// Builds, as Heroku has them: pending until the buildpacks end, then succeeded or failed.
import { statusMachine } from './status-machine.js';

export type BuildStatus = 'pending' | 'succeeded' | 'failed';

export const BUILD = statusMachine<BuildStatus>('build', {
  pending: ['succeeded', 'failed'],
  succeeded: [], failed: [],
});
