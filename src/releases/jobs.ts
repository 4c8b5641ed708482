// The runner seam for builds and release phases: jobs in, events out; no store access.
import type { Tenant } from '../sandbox/user.js';
import type { StepTime } from '../ci/step-clock.js';

export const BUILD_JOB = 'build';
export const RELEASE_JOB = 'release-phase';

export interface BuildJob {
  buildId: string;
  appId: string;
  appName: string;
  sourceBlobUrl: string;
  /** The commit (or the version the API client gave): the build's SOURCE_VERSION, as on Heroku. */
  sourceVersion?: string | null;
  configVars: Record<string, string>;
  /** The app's own uid (undefined: the sandbox user). */
  tenant?: Tenant;
  /** Buildpacks set on the app (`heroku buildpacks:set`): they replace app.json's. */
  buildpacks?: string[];
}

export interface ReleaseJob {
  releaseId: string;
  appId: string;
  appName: string;
  version: number;
  slugId: string;
  config: Record<string, string>;
  command: string;
  timeoutSeconds: number;
  /** The app's own uid (undefined: the sandbox user). */
  tenant?: Tenant;
  /** The release dyno's size (`ps:type release=SIZE`); absent in jobs queued before sizes existed. */
  size?: string;
}

export type BuildEvent =
  | { type: 'output'; data: Buffer | string }
  /** Where the build's time went, step by step (for the operator's log and bench/deploy). */
  | { type: 'steps'; steps: StepTime[] }
  /** `slugId`: the id the build's host published its tree of the slug under (this server's own runner only). */
  | { type: 'end'; ok: true; slugFile: string; processTypes: Record<string, string>; buildpacks: string[]; size: number; slugId?: string }
  | { type: 'end'; ok: false; message: string };

export type ReleaseEvent =
  | { type: 'output'; data: Buffer | string }
  | { type: 'end'; ok: boolean; message: string | null };
