// The parts of GitHub's `push` and `pull_request` payloads Slipway acts on, validated, and what to
// do with each delivery (pure: the route and the handlers do the work).
import { z } from 'zod/v3';

const repo = z.object({ full_name: z.string().min(1), clone_url: z.string().min(1) }).passthrough();
const pushSchema = z.object({
  ref: z.string(), after: z.string().regex(/^[0-9a-f]{40,64}$/), deleted: z.boolean().optional(),
  head_commit: z.object({ message: z.string() }).passthrough().nullable().optional(),
  repository: repo, pusher: z.object({ name: z.string().optional() }).passthrough().optional(),
}).passthrough();
const prSchema = z.object({
  action: z.string(), number: z.number().int().positive(),
  pull_request: z.object({
    title: z.string().optional(),
    head: z.object({ ref: z.string().min(1), sha: z.string().regex(/^[0-9a-f]{40,64}$/), repo: repo.nullable() }).passthrough(),
  }).passthrough(),
  repository: repo,
}).passthrough();

export interface PushEvent { kind: 'push'; branch: string; sha: string; message: string | null; cloneUrl: string; actor: string | null }
export interface PullRequestEvent { kind: 'pull_request'; action: 'open' | 'update' | 'close'; number: number; branch: string; sha: string; cloneUrl: string; title: string | null }
export type GithubWork = PushEvent | PullRequestEvent;

/** What a delivery means: work to do, or why it is ignored (answered 202 with the reason). */
export type Decision = { work: GithubWork } | { ignored: string } | { invalid: string };

export const ZERO = /^0+$/;
/** The first few problems of a payload that failed its schema, for the 422 answer. */
export const issues = (e: z.ZodError): string => e.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

/** The repository a payload is about (`repository.full_name`), if it names one. */
export function repositoryOf(payload: unknown): string | undefined {
  const r = z.object({ repository: z.object({ full_name: z.string().min(1) }).passthrough() }).passthrough().safeParse(payload);
  return r.success ? r.data.repository.full_name : undefined;
}

export function decide(event: string, payload: unknown, opts: { reviewApps: boolean; reviewAutodeploy: boolean; cloneUrlOverride: string | null }): Decision {
  if (event === 'push') {
    const p = pushSchema.safeParse(payload);
    if (!p.success) return { invalid: `not a push payload: ${issues(p.error)}` };
    const e = p.data;
    if (e.deleted || ZERO.test(e.after)) return { ignored: `${e.ref} was deleted: nothing to build` };
    if (!e.ref.startsWith('refs/heads/')) return { ignored: `${e.ref} is not a branch: Slipway builds branches` };
    return { work: { kind: 'push', branch: e.ref.slice('refs/heads/'.length), sha: e.after, message: e.head_commit?.message ?? null, cloneUrl: opts.cloneUrlOverride ?? e.repository.clone_url, actor: e.pusher?.name ?? null } };
  }
  if (event === 'pull_request') {
    const p = prSchema.safeParse(payload);
    if (!p.success) return { invalid: `not a pull_request payload: ${issues(p.error)}` };
    const e = p.data;
    if (!opts.reviewApps) return { ignored: 'review apps are off for this pipeline (slipway reviewapps:enable)' };
    const action = e.action === 'opened' || e.action === 'reopened' ? 'open'
      : e.action === 'synchronize' ? (opts.reviewAutodeploy ? 'update' : null)
        : e.action === 'closed' ? 'close' : null;
    if (!action) return { ignored: e.action === 'synchronize' ? 'review app autodeploy is off: new commits are not deployed' : `pull_request action "${e.action}" needs nothing from Slipway` };
    // A fork's head lives in the fork; the pipeline's own clone URL override applies to its own repository only.
    const own = !e.pull_request.head.repo || e.pull_request.head.repo.full_name === e.repository.full_name;
    const cloneUrl = own ? (opts.cloneUrlOverride ?? e.pull_request.head.repo?.clone_url ?? e.repository.clone_url) : e.pull_request.head.repo!.clone_url;
    return { work: { kind: 'pull_request', action, number: e.number, branch: e.pull_request.head.ref, sha: e.pull_request.head.sha, cloneUrl, title: e.pull_request.title ?? null } };
  }
  return { ignored: `Slipway does not act on "${event}" events (it takes push and pull_request)` };
}
