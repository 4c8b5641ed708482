// Heroku Platform API v3 JSON shapes (field names as in Heroku's schema), plus a few Slipway extras.
import type { FastifyRequest } from 'fastify';
import type { Pipeline } from '../store/pipelines.js';
import type { TestRun, TestNode, TestCase } from '../store/test-runs.js';
import type { AppContext } from '../app-context.js';
import { signedUrl, baseUrl } from './urls.js';

export const pipelineJson = (p: Pipeline) => ({
  id: p.id, name: p.name, created_at: p.created_at, updated_at: p.updated_at,
  owner: null, generation: { name: 'cedar' }, ci_timeout_seconds: p.ci_timeout_seconds,
  // Automation (Slipway's; Heroku keeps these in its GitHub-link service). Secrets are never shown.
  deploy_branch: p.deploy_branch, auto_deploy: p.auto_deploy === 1, wait_for_ci: p.wait_for_ci === 1, auto_promote: p.auto_promote === 1,
  acceptance_command: p.acceptance_command, ci_enabled: p.ci_enabled === 1, ci_branches: p.ci_branches,
  repository: p.repo ? { name: p.repo, provider: p.repo_provider ?? 'github', clone_url: p.repo_clone_url, webhook_secret_set: p.webhook_secret !== null, status_token_set: p.status_token !== null, status_api_url: p.status_api_url } : null,
  review_apps: { enabled: p.review_apps === 1, autodeploy: p.review_autodeploy === 1, autodestroy: p.review_autodestroy === 1, stale_days: p.review_stale_days },
  ci_space: p.ci_space_id ? { id: p.ci_space_id } : null,
});

export type Counts = { passed: number; failed: number; skipped: number; todo: number };

export const testRunJson = (ctx: AppContext, req: FastifyRequest, r: TestRun, pipelineName: string, counts?: Counts) => ({
  id: r.id, number: r.number, status: r.status, message: r.message, error_id: r.error_id,
  commit_branch: r.commit_branch, commit_sha: r.commit_sha, commit_message: r.commit_message,
  source_blob_url: r.source_blob_url, clear_cache: r.clear_cache === 1, debug: false,
  pipeline: { id: r.pipeline_id, name: pipelineName }, organization: null, app_setup: null, dyno: { size: 'performance-m' },
  user: { id: null, email: r.actor }, actor_email: r.actor, warning_message: null,
  created_at: r.created_at, updated_at: r.updated_at, finished_at: r.finished_at,
  timeout_seconds: r.timeout_seconds, node_total: r.node_total,
  counts: counts ?? { passed: 0, failed: 0, skipped: 0, todo: 0 },
  kind: r.kind, acceptance: r.kind === 'acceptance' ? { command: r.test_command, app: { id: r.target_app_id }, release: { version: r.target_release_version } } : null,
  url: `${baseUrl(ctx, req)}/pipelines/${encodeURIComponent(pipelineName)}/tests/${r.number}`,
});

export const testNodeJson = (ctx: AppContext, req: FastifyRequest, r: TestRun, n: TestNode) => ({
  id: n.id, index: n.idx, status: n.status, exit_code: n.exit_code, message: n.message, error_status: n.error_id,
  waiting_reason: n.waiting_reason, pipeline: { id: r.pipeline_id }, test_run: { id: r.id }, dyno: null,
  setup_stream_url: signedUrl(ctx, req, `/test-runs/${r.id}/test-nodes/${n.idx}/setup-output`),
  output_stream_url: signedUrl(ctx, req, `/test-runs/${r.id}/test-nodes/${n.idx}/output`),
  created_at: n.created_at, updated_at: n.updated_at, started_at: n.started_at, finished_at: n.finished_at,
});

export const testCaseJson = (c: TestCase, nodeIndex: number) => ({
  id: c.id, number: c.number, description: c.description, status: c.status,
  passed: c.status === 'passed', directive: c.status === 'skipped' ? 'SKIP' : c.status === 'todo' ? 'TODO' : null,
  diagnostic: c.diagnostic, flaky: c.flaky === 1, test_node: { id: c.test_node_id, index: nodeIndex }, test_run: { id: c.test_run_id },
  created_at: c.created_at, updated_at: c.created_at,
});
