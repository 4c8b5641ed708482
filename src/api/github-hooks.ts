// `POST /hooks/github`: GitHub's (and Gitea's, which sends the same headers) push and pull_request
// webhooks. No bearer token: a delivery proves itself with X-Hub-Signature-256 over the raw body,
// checked against the secret of the pipeline connected to `repository.full_name`.
import type { FastifyInstance } from 'fastify';
import { listPipelines } from '../store/pipelines.js';
import { recordDelivery } from '../store/webhook-deliveries.js';
import { checkSignature } from '../integrations/github-signature.js';
import { decide, repositoryOf } from '../integrations/github-events.js';
import { enqueueDelivery } from '../integrations/github-work.js';
import { allowedCloneHosts, checkCloneUrl } from '../integrations/clone-url.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export async function githubHookRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // The signature covers the exact bytes sent, so this plugin keeps bodies raw (its own scope only).
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: 25 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post('/hooks/github', async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const event = header(req.headers['x-github-event']) ?? header(req.headers['x-gitea-event']);
    const delivery = header(req.headers['x-github-delivery']) ?? header(req.headers['x-gitea-delivery']);
    if (!event || !delivery) throw fail('invalid_params', 'Not a webhook delivery: the X-GitHub-Event and X-GitHub-Delivery headers are required.');
    let payload: unknown;
    try {
      // GitHub's "application/x-www-form-urlencoded" content type puts the JSON in a `payload` field.
      const text = /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '') ? new URLSearchParams(raw.toString('utf8')).get('payload') ?? '' : raw.toString('utf8');
      payload = JSON.parse(text);
    } catch (e) {
      throw fail('invalid_json', `The delivery's body is not JSON: ${(e as Error).message}`);
    }
    const repo = repositoryOf(payload);
    if (!repo) throw fail('invalid_params', 'The delivery names no repository (repository.full_name); only repository webhooks are supported.');
    const candidates = (await listPipelines(ctx.store.db)).filter((p) => p.repo?.toLowerCase() === repo.toLowerCase());
    if (!candidates.length) throw fail('repository_not_connected', `No pipeline is connected to ${repo}. Run \`slipway pipelines:connect PIPELINE --repo ${repo}\`.`);
    const signature = header(req.headers['x-hub-signature-256']);
    const pipeline = candidates.find((p) => p.webhook_secret && checkSignature(p.webhook_secret, raw, signature).ok);
    if (!pipeline) {
      const why = !signature ? 'it carries no X-Hub-Signature-256 header' : 'its X-Hub-Signature-256 does not match';
      throw fail('webhook_signature_invalid', `Delivery ${delivery} was refused: ${why}. Set the webhook's secret to the one \`slipway pipelines:connect\` printed (run it again with --secret to set a new one).`);
    }
    if (!(await recordDelivery(ctx.store.db, delivery, pipeline.id, event))) {
      return reply.status(200).send({ ignored: true, reason: `delivery ${delivery} was already received` });
    }
    if (event === 'ping') return reply.status(200).send({ ok: true, pipeline: pipeline.name, message: `Connected to pipeline ${pipeline.name}.` });
    const d = decide(event, payload, { reviewApps: pipeline.review_apps === 1, reviewAutodeploy: pipeline.review_autodeploy === 1, cloneUrlOverride: pipeline.repo_clone_url });
    if ('invalid' in d) throw fail('invalid_params', `Delivery ${delivery}: ${d.invalid}.`);
    if ('ignored' in d) return reply.status(202).send({ ignored: true, reason: d.ignored });
    if (d.work.kind !== 'pull_request' || d.work.action !== 'close') {
      const url = checkCloneUrl(d.work.cloneUrl, allowedCloneHosts(pipeline));
      if (!url.ok) {
        await addPipelineEvent(ctx.store.db, pipeline.id, 'webhook-failed', `Delivery ${delivery} (${d.work.kind} ${d.work.sha.slice(0, 7)}) refused: ${url.message}; nothing was fetched.`);
        throw fail('clone_url_refused', `Delivery ${delivery} refused: ${url.message}.`);
      }
    }
    await enqueueDelivery(ctx, { pipelineId: pipeline.id, deliveryId: delivery, work: d.work });
    return reply.status(202).send({ accepted: true, pipeline: pipeline.name, event, sha: d.work.sha });
  });
}
