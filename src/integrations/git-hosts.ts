// The git hosts a pipeline can be connected to, behind one interface: how a delivery names its event
// and id, how it proves itself, what its payload asks for, and how a commit status goes back.
import type { IncomingHttpHeaders } from 'node:http';
import { checkSignature, type SignatureCheck } from './github-signature.js';
import { decide, repositoryOf, type Decision } from './github-events.js';
import { decideGitlab, gitlabRepositoryOf } from './gitlab-events.js';
import { decideGitea } from './gitea-events.js';
import { checkGitlabToken, checkGiteaSignature } from './host-signatures.js';

export const GIT_HOSTS = ['github', 'gitlab', 'gitea'] as const;
export type GitHostName = typeof GIT_HOSTS[number];
export type StatusState = 'pending' | 'success' | 'failure' | 'error';
export interface StatusReport { base: string; repo: string; sha: string; token: string; state: StatusState; context: string; description: string; targetUrl: string }
export interface DecideOptions { reviewApps: boolean; reviewAutodeploy: boolean; cloneUrlOverride: string | null }

export interface GitHost {
  name: GitHostName;
  title: string;
  /** Where statuses go without --status-api-url (null: the option is required). */
  defaultApi: string | null;
  /** The host commits are fetched from without --clone-url or --status-api-url. */
  defaultGitHost: string | null;
  /** The header that carries the delivery's proof, for error messages. */
  proofHeader: string;
  delivery(h: IncomingHttpHeaders): { event?: string; id?: string };
  verify(secret: string, raw: Buffer, h: IncomingHttpHeaders): SignatureCheck;
  repositoryOf(payload: unknown): string | undefined;
  decide(event: string, payload: unknown, opts: DecideOptions): Decision;
  statusRequest(r: StatusReport): { url: string; headers: Record<string, string>; body: Record<string, unknown> };
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const JSON_HEADERS = { 'content-type': 'application/json', 'user-agent': 'slipway' };

const github: GitHost = {
  name: 'github', title: 'GitHub', defaultApi: 'https://api.github.com', defaultGitHost: 'github.com', proofHeader: 'X-Hub-Signature-256',
  // Gitea sends GitHub's headers too, with its own names for event and id: kept for pipelines connected before providers.
  delivery: (h) => ({ event: one(h['x-github-event']) ?? one(h['x-gitea-event']), id: one(h['x-github-delivery']) ?? one(h['x-gitea-delivery']) }),
  verify: (secret, raw, h) => checkSignature(secret, raw, one(h['x-hub-signature-256'])),
  repositoryOf, decide,
  statusRequest: (r) => ({
    url: `${r.base}/repos/${r.repo}/statuses/${r.sha}`,
    headers: { ...JSON_HEADERS, authorization: `Bearer ${r.token}`, accept: 'application/vnd.github+json' },
    body: { state: r.state, context: r.context, description: r.description, target_url: r.targetUrl },
  }),
};

// GitLab's commit states: no "error"; a cancelled or errored run is "failed" there.
const GITLAB_STATE: Record<StatusState, string> = { pending: 'pending', success: 'success', failure: 'failed', error: 'failed' };
const gitlab: GitHost = {
  name: 'gitlab', title: 'GitLab', defaultApi: 'https://gitlab.com/api/v4', defaultGitHost: 'gitlab.com', proofHeader: 'X-Gitlab-Token',
  // Idempotency-Key stays the same when GitLab retries a delivery; older versions send only the event UUID.
  delivery: (h) => ({ event: one(h['x-gitlab-event']), id: one(h['idempotency-key']) ?? one(h['x-gitlab-event-uuid']) }),
  verify: (secret, _raw, h) => checkGitlabToken(secret, one(h['x-gitlab-token'])),
  repositoryOf: gitlabRepositoryOf, decide: decideGitlab,
  statusRequest: (r) => ({
    url: `${r.base}/projects/${encodeURIComponent(r.repo)}/statuses/${r.sha}`,
    headers: { ...JSON_HEADERS, 'private-token': r.token },
    body: { state: GITLAB_STATE[r.state], name: r.context, description: r.description, target_url: r.targetUrl },
  }),
};

const gitea: GitHost = {
  name: 'gitea', title: 'Gitea/Forgejo', defaultApi: null, defaultGitHost: null, proofHeader: 'X-Gitea-Signature (or X-Forgejo-Signature)',
  delivery: (h) => ({ event: one(h['x-forgejo-event']) ?? one(h['x-gitea-event']), id: one(h['x-forgejo-delivery']) ?? one(h['x-gitea-delivery']) }),
  verify: (secret, raw, h) => checkGiteaSignature(secret, raw, one(h['x-forgejo-signature']) ?? one(h['x-gitea-signature'])),
  repositoryOf, decide: decideGitea,
  statusRequest: (r) => ({
    url: `${r.base}/repos/${r.repo}/statuses/${r.sha}`,
    headers: { ...JSON_HEADERS, authorization: `token ${r.token}` },
    body: { state: r.state, context: r.context, description: r.description, target_url: r.targetUrl },
  }),
};

const HOSTS: Record<GitHostName, GitHost> = { github, gitlab, gitea };

/** The git host of a pipeline (null, from before providers, is GitHub). */
export const gitHostOf = (p: { repo_provider?: string | null }): GitHost => HOSTS[(p.repo_provider ?? 'github') as GitHostName] ?? github;
export const gitHost = (name: GitHostName): GitHost => HOSTS[name];
