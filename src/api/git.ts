// `git push` / `git clone` of an app over smart HTTP (git http-backend), authenticated with the API
// token as the password, and the endpoint the pre-receive hook hands each pushed commit to.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { getApp, type App } from '../store/apps.js';
import { createSource } from '../store/sources.js';
import { storeSource } from '../git/store-source.js';
import { couplingOfApp } from '../store/couplings.js';
import { getPipeline } from '../store/pipelines.js';
import { ensureRepo, reposRoot } from '../git/repos.js';
import { runHttpBackend } from '../git/http-backend.js';
import { pushProgress } from '../git/push-progress.js';
import { pushResultLine } from '../git/push-protocol.js';
import { pushToApp } from '../pipelines/push.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';
import type { InputLimits } from '../config.js';
import { presentedToken } from './auth.js';
import { baseUrl, signedUrl } from './urls.js';
import { recordRepoSize } from '../git/repo-size.js';

interface Push { app: App; actor: string; base: string }

/**
 * Limits for `git receive-pack` and its pre-receive hook: git itself refuses a pack over the
 * compressed limit (receive.maxInputSize); the hook checks the pushed tree's unpacked size.
 */
const pushLimitsEnv = (l: InputLimits): Record<string, string> => ({
  GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'receive.maxInputSize', GIT_CONFIG_VALUE_0: String(l.compressedBytes),
  SLIPWAY_MAX_UNPACKED_BYTES: String(l.unpackedBytes), SLIPWAY_MAX_SOURCE_ENTRIES: String(l.entries),
});

export async function gitRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const pushes = new Map<string, Push>();
  app.addContentTypeParser(['application/x-git-receive-pack-request', 'application/x-git-upload-pack-request', 'application/gzip'], (_req, payload, done) => done(null, payload));

  const appOf = async (repo: string): Promise<App> => {
    if (!repo.endsWith('.git')) throw fail('not_found', 'Git remotes of Slipway apps look like <server>/<app>.git (or <server>/git/<app>.git).');
    // git reads "Repository not found" from a 404; an auth challenge here would only ask for a password again.
    return getApp(ctx.store.db, repo.slice(0, -4)).catch(() => { throw fail('not_found', `Repository ${repo} not found: there is no app ${repo.slice(0, -4)}.`); });
  };

  const backend = async (req: FastifyRequest<{ Params: { repo: string } }>, reply: import('fastify').FastifyReply, tail: string) => {
    const target = await appOf(req.params.repo);
    await ensureRepo(ctx.config.dataDir, target.id);
    const env: Record<string, string> = {};
    let token: string | undefined;
    if (tail === 'git-receive-pack') {
      token = randomBytes(24).toString('hex');
      pushes.set(token, { app: target, actor: req.actor?.name ?? 'unknown', base: baseUrl(ctx, req) });
      env['SLIPWAY_PUSH_TOKEN'] = token;
      env['SLIPWAY_PUSH_CALLBACK'] = `${ctx.selfUrl}/git-hooks/push`;
      Object.assign(env, pushLimitsEnv(ctx.config.inputLimits));
    }
    const url = new URL(req.url, 'http://x');
    const res = await runHttpBackend(reposRoot(ctx.config.dataDir), {
      method: req.method, pathInfo: `/${target.id}.git/${tail}`, query: url.search.slice(1), headers: req.headers,
      remoteAddr: req.ip, remoteUser: req.actor?.name ?? 'slipway', body: req.method === 'POST' ? (req.body as Readable) : null,
    }, env);
    if (token) {
      res.done.finally(() => {
        pushes.delete(token);
        recordRepoSize(ctx.store.db, ctx.config.dataDir, target.id).catch((e: Error) => ctx.log.warn(`measuring ${target.name}'s repository: ${e.message}`));
      });
    }
    return reply.status(res.status).headers(res.headers).send(res.body);
  };

  // `<server>/<app>.git` is the remote the heroku CLI writes (git:remote, apps:create, git:clone);
  // `<server>/git/<app>.git` is the one older Slipway remotes have.
  for (const prefix of ['', '/git']) {
    app.get<{ Params: { repo: string } }>(`${prefix}/:repo/info/refs`, (req, reply) => backend(req, reply, 'info/refs'));
    app.post<{ Params: { repo: string } }>(`${prefix}/:repo/git-receive-pack`, (req, reply) => backend(req, reply, 'git-receive-pack'));
    app.post<{ Params: { repo: string } }>(`${prefix}/:repo/git-upload-pack`, (req, reply) => backend(req, reply, 'git-upload-pack'));
  }

  // Called by the pre-receive hook, once per pushed branch, with the commit's `git archive`.
  app.post<{ Querystring: { branch?: string; sha?: string; message?: string } }>('/git-hooks/push', async (req, reply) => {
    const push = pushes.get(presentedToken(req) ?? '');
    if (!push) throw fail('unauthorized', 'This endpoint only takes commits from a push in progress.');
    const { branch, sha, message } = req.query;
    if (!branch || !sha || !/^[0-9a-f]{40,64}$/.test(sha)) throw fail('invalid_params', 'branch and a full commit sha are required.');
    const sourceId = await createSource(ctx.store.db);
    await storeSource(ctx, sourceId, req.body as Readable);
    const sourceBlobUrl = signedUrl(ctx, req, `/sources/${sourceId}/blob`);
    const outcome = await pushToApp(ctx, push.app, { branch, sha, message: message ?? null, sourceBlobUrl, via: 'git push', actor: push.actor });
    const coupling = await couplingOfApp(ctx.store.db, push.app.id);
    const pipelineName = coupling ? (await getPipeline(ctx.store.db, coupling.pipeline_id)).name : '';
    const ac = new AbortController();
    req.raw.on('close', () => ac.abort());
    const lines = async function* () {
      try {
        yield* pushProgress(ctx, push.app, sha, outcome, (n) => `${push.base}/pipelines/${pipelineName}/tests/${n}`, ac.signal);
      } catch (e) {
        ctx.log.error(`push to ${push.app.name}: ${(e as Error).stack}`);
        yield `!      Slipway failed while deploying: ${(e as Error).message}\n`;
        yield pushResultLine(false);
      }
    };
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(Readable.from(lines()));
  });
}
