// The parts of GitLab's `Push Hook` and `Merge Request Hook` payloads Slipway acts on, validated, and
// what each delivery asks for (pure). Shapes as in GitLab's "Webhook events" documentation.
import { z } from 'zod/v3';
import { ZERO, issues, type Decision } from './github-events.js';

const SHA = z.string().regex(/^[0-9a-f]{40,64}$/);
const project = z.object({ id: z.number().int(), path_with_namespace: z.string().min(1), git_http_url: z.string().min(1) }).passthrough();
const pushSchema = z.object({
  object_kind: z.literal('push'), ref: z.string(), after: SHA, checkout_sha: SHA.nullable().optional(),
  user_username: z.string().optional(), project,
  commits: z.array(z.object({ id: z.string(), message: z.string() }).passthrough()).optional(),
}).passthrough();
const mrSchema = z.object({
  object_kind: z.literal('merge_request'), project,
  object_attributes: z.object({
    iid: z.number().int().positive(), action: z.string().optional(), source_branch: z.string().min(1), title: z.string().optional(),
    source_project_id: z.number().int(), target_project_id: z.number().int(), oldrev: z.string().optional(),
    last_commit: z.object({ id: SHA }).passthrough(), source: z.object({ git_http_url: z.string().min(1) }).passthrough().nullable().optional(),
  }).passthrough(),
}).passthrough();

/** The project a GitLab payload is about (`project.path_with_namespace`). */
export function gitlabRepositoryOf(payload: unknown): string | undefined {
  const r = z.object({ project: z.object({ path_with_namespace: z.string().min(1) }).passthrough() }).passthrough().safeParse(payload);
  return r.success ? r.data.project.path_with_namespace : undefined;
}

/** What a GitLab delivery means (events by their X-Gitlab-Event name). */
export function decideGitlab(event: string, payload: unknown, opts: { reviewApps: boolean; reviewAutodeploy: boolean; cloneUrlOverride: string | null }): Decision {
  if (event === 'Push Hook') {
    const p = pushSchema.safeParse(payload);
    if (!p.success) return { invalid: `not a Push Hook payload: ${issues(p.error)}` };
    const e = p.data;
    if (ZERO.test(e.after)) return { ignored: `${e.ref} was deleted: nothing to build` };
    if (!e.ref.startsWith('refs/heads/')) return { ignored: `${e.ref} is not a branch: Slipway builds branches` };
    const head = e.commits?.find((c) => c.id === e.after);
    return { work: { kind: 'push', branch: e.ref.slice('refs/heads/'.length), sha: e.after, message: head?.message.trim() ?? null, cloneUrl: opts.cloneUrlOverride ?? e.project.git_http_url, actor: e.user_username ?? null } };
  }
  if (event === 'Merge Request Hook') {
    const p = mrSchema.safeParse(payload);
    if (!p.success) return { invalid: `not a Merge Request Hook payload: ${issues(p.error)}` };
    const a = p.data.object_attributes;
    if (!opts.reviewApps) return { ignored: 'review apps are off for this pipeline (slipway reviewapps:enable)' };
    // "update" is also sent for a new title or label; only one with `oldrev` brought new commits.
    const action = a.action === 'open' || a.action === 'reopen' ? 'open'
      : a.action === 'update' && a.oldrev ? (opts.reviewAutodeploy ? 'update' : null)
        : a.action === 'close' || a.action === 'merge' ? 'close' : null;
    if (!action) return { ignored: a.action === 'update' && a.oldrev ? 'review app autodeploy is off: new commits are not deployed' : `merge request action "${a.action ?? 'none'}" needs nothing from Slipway` };
    const own = a.source_project_id === a.target_project_id;
    const cloneUrl = own ? (opts.cloneUrlOverride ?? p.data.project.git_http_url) : (a.source?.git_http_url ?? p.data.project.git_http_url);
    return { work: { kind: 'pull_request', action, number: a.iid, branch: a.source_branch, sha: a.last_commit.id, cloneUrl, title: a.title ?? null } };
  }
  return { ignored: `Slipway does not act on "${event}" events (it takes Push Hook and Merge Request Hook)` };
}
