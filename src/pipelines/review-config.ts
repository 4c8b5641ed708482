// What a review app takes from app.json: `environments.review` laid over the top level (maps merge
// key by key; lists replace), its config vars, add-ons and two scripts; plus the vars Heroku injects for a pull request.
import { randomBytes } from 'node:crypto';
import type { AddonSpec, AppJson } from '../core/app-json.js';
import { appNameProblem } from '../core/app-name.js';

export interface ReviewConfig { env: Record<string, string>; addons: AddonSpec[]; postdeploy?: string; predestroy?: string }

export function resolveReviewConfig(app: AppJson): ReviewConfig {
  const r = app.environments?.['review'] ?? {};
  const scripts = { ...app.scripts, ...r.scripts };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...app.env, ...r.env })) {
    if (typeof v === 'string') env[k] = v;
    else if (v.value !== undefined) env[k] = v.value;
    else if (v.generator === 'secret') env[k] = randomBytes(32).toString('hex');
  }
  // Lists replace rather than merge, as for test runs.
  const addons = (r.addons ?? app.addons ?? []).map((a) => (typeof a === 'string' ? { plan: a } : a));
  return { env, addons, postdeploy: scripts['postdeploy'], predestroy: scripts['pr-predestroy'] };
}

/** `<pipeline>-pr-<N>`, the pipeline's part shortened to keep within the 30-character app name limit. */
export function reviewAppName(pipeline: string, pr: number): string {
  const suffix = `-pr-${pr}`;
  const name = `${pipeline.slice(0, 30 - suffix.length).replace(/-+$/, '')}${suffix}`;
  const problem = appNameProblem(name);
  if (problem) throw new Error(problem);
  return name;
}

/** The vars Heroku sets on a review app it created for a pull request. */
export const reviewAppVars = (appName: string, branch: string, pr: number): Record<string, string> =>
  ({ HEROKU_APP_NAME: appName, HEROKU_BRANCH: branch, HEROKU_PR_NUMBER: String(pr) });
