// `POST /hooks/github`, `/hooks/gitlab`, `/hooks/gitea` (and `/hooks/forgejo`): push and pull/merge
// request webhooks of each git host. No bearer token: a delivery proves itself with its host's scheme
// (GitHub's X-Hub-Signature-256, GitLab's X-Gitlab-Token, Gitea's X-Gitea-Signature) checked against
// the secret of a pipeline connected to that host and to the repository the payload names.
import type { FastifyInstance } from 'fastify';
import { listPipelines } from '../store/pipelines.js';
import { recordDelivery } from '../store/webhook-deliveries.js';
import { enqueueDelivery } from '../integrations/github-work.js';
import { allowedCloneHosts, checkCloneUrl } from '../integrations/clone-url.js';
import { gitHost, gitHostOf, type GitHost } from '../integrations/git-hosts.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';

export async function gitHostHookRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // The signature covers the exact bytes sent, so this plugin keeps bodies raw (its own scope only).
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: 25 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  const routes: Array<[string, GitHost]> = [['github', gitHost('github')], ['gitlab', gitHost('gitlab')], ['gitea', gitHost('gitea')], ['forgejo', gitHost('gitea')]];
  for (const [path, host] of routes) {
    app.post(`/hooks/${path}`, async (req, reply) => {
      const { code, body } = await receive(ctx, host, req.headers, req.body);
      return reply.status(code).send(body);
    });
  }
}

type Answer = { code: number; body: Record<string, unknown> };

async function receive(ctx: AppContext, host: GitHost, headers: Parameters<GitHost['delivery']>[0], body: unknown): Promise<Answer> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  const { event, id: delivery } = host.delivery(headers);
  if (!event || !delivery) throw fail('invalid_params', `Not a ${host.title} webhook delivery: its event and delivery id headers are missing.`);
  let payload: unknown;
  try {
    // GitHub's "application/x-www-form-urlencoded" content type puts the JSON in a `payload` field.
    const text = /x-www-form-urlencoded/.test(headers['content-type'] ?? '') ? new URLSearchParams(raw.toString('utf8')).get('payload') ?? '' : raw.toString('utf8');
    payload = JSON.parse(text);
  } catch (e) {
    throw fail('invalid_json', `The delivery's body is not JSON: ${(e as Error).message}`);
  }
  const repo = host.repositoryOf(payload);
  if (!repo) throw fail('invalid_params', `The delivery names no repository; only repository (project) webhooks are supported.`);
  const candidates = (await listPipelines(ctx.store.db)).filter((p) => p.repo?.toLowerCase() === repo.toLowerCase() && gitHostOf(p).name === host.name);
  if (!candidates.length) throw fail('repository_not_connected', `No pipeline is connected to ${repo} on ${host.title}. Run \`slipway pipelines:connect PIPELINE --repo ${repo} --provider ${host.name}\`.`);
  const pipeline = candidates.find((p) => p.webhook_secret && host.verify(p.webhook_secret, raw, headers).ok);
  if (!pipeline) {
    const why = host.verify('\0', raw, headers);
    const reason = !why.ok && why.reason === 'missing' ? `it carries no ${host.proofHeader} header` : `its ${host.proofHeader} does not match`;
    throw fail('webhook_signature_invalid', `Delivery ${delivery} was refused: ${reason}. Set the webhook's secret to the one \`slipway pipelines:connect\` printed (run it again with --secret to set a new one).`);
  }
  // Ids are the host's own: kept apart per host (GitHub's stay bare, as they were stored before).
  const key = host.name === 'github' ? delivery : `${host.name}:${delivery}`;
  if (!(await recordDelivery(ctx.store.db, key, pipeline.id, event))) {
    return { code: 200, body: { ignored: true, reason: `delivery ${delivery} was already received` } };
  }
  if (event === 'ping') return { code: 200, body: { ok: true, pipeline: pipeline.name, message: `Connected to pipeline ${pipeline.name}.` } };
  const d = host.decide(event, payload, { reviewApps: pipeline.review_apps === 1, reviewAutodeploy: pipeline.review_autodeploy === 1, cloneUrlOverride: pipeline.repo_clone_url });
  if ('invalid' in d) throw fail('invalid_params', `Delivery ${delivery}: ${d.invalid}.`);
  if ('ignored' in d) return { code: 202, body: { ignored: true, reason: d.ignored } };
  if (d.work.kind !== 'pull_request' || d.work.action !== 'close') {
    const url = checkCloneUrl(d.work.cloneUrl, allowedCloneHosts(pipeline));
    if (!url.ok) {
      await addPipelineEvent(ctx.store.db, pipeline.id, 'webhook-failed', `Delivery ${delivery} (${d.work.kind} ${d.work.sha.slice(0, 7)}) refused: ${url.message}; nothing was fetched.`);
      throw fail('clone_url_refused', `Delivery ${delivery} refused: ${url.message}.`);
    }
  }
  await enqueueDelivery(ctx, { pipelineId: pipeline.id, deliveryId: key, work: d.work });
  return { code: 202, body: { accepted: true, pipeline: pipeline.name, event, sha: d.work.sha } };
}
