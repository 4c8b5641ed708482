// `git push` / `git clone` of an app over smart HTTP (git http-backend), authenticated with the API
// token as the password, and the endpoint the pre-receive hook hands a push's refs to.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AppContext } from '../app-context.js';
import { getApp, type App } from '../store/apps.js';
import { createSource } from '../store/sources.js';
import { storeSource } from '../git/store-source.js';
import { couplingOfApp } from '../store/couplings.js';
import { getPipeline } from '../store/pipelines.js';
import { ensureRepo, repoPath, reposRoot } from '../git/repos.js';
import { runHttpBackend } from '../git/http-backend.js';
import { pushProgress } from '../git/push-progress.js';
import { parsePushedRefs, pushResultLine, quarantineEnv, skippedRef } from '../git/pre-receive-hook.js';
import { treeOverLimit, treeSize } from '../git/tree-size.js';
import { startHost, runHost } from '../sandbox/host.js';
import { pushToApp } from '../pipelines/push.js';
import { fail, SlipwayError } from '../core/errors.js';
import type { InputLimits } from '../config.js';
import { presentedToken } from './auth.js';
import { baseUrl, signedUrl } from './urls.js';
import { recordRepoSize } from '../git/repo-size.js';

interface Push { app: App; actor: string; base: string; token: string }

/** git itself refuses a pack over the compressed limit (receive.maxInputSize); the server checks the pushed tree's unpacked size. */
const pushLimitsEnv = (l: InputLimits): Record<string, string> => ({
  GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'receive.maxInputSize', GIT_CONFIG_VALUE_0: String(l.compressedBytes),
});

/**
 * A pushed commit, read from git's quarantine before receive-pack accepts it: refused when its tree
 * unpacks over the limits (from the sizes git records, before `git archive` spends minutes on a
 * bomb), else stored as a source (its `git archive`, streamed) with its message.
 */
async function takeCommit(ctx: AppContext, repo: string, env: Record<string, string>, sha: string): Promise<{ refused: string } | { sourceId: string; message: string }> {
  const [log, size] = await Promise.all([runHost('git', ['log', '-1', '--format=%B', sha], { cwd: repo, env }), treeSize(sha, { cwd: repo, env })]);
  if (log.exitCode !== 0) throw new Error(`git log of ${sha} failed: ${log.stderr.trim()}`);
  const over = treeOverLimit(`The source of ${sha.slice(0, 7)}`, size, ctx.config.inputLimits);
  if (over) return { refused: over };
  const sourceId = await createSource(ctx.store.db);
  const archive = startHost('git', ['archive', '--format=tar.gz', sha], { cwd: repo, env, timeoutMs: 600_000 });
  archive.child.stdin.end();
  let stderr = '';
  archive.child.stderr.on('data', (c) => { stderr += c; });
  const exited = new Promise<number | null>((resolve) => { archive.child.on('close', resolve); archive.child.on('error', () => resolve(null)); });
  try {
    await storeSource(ctx, sourceId, archive.child.stdout);
  } catch (e) {
    archive.kill();
    if (e instanceof SlipwayError && (e.id === 'payload_too_large' || e.id === 'source_too_large')) return { refused: e.message };
    throw e;
  }
  if (await exited !== 0) throw new Error(`git archive of ${sha} failed: ${stderr.trim()}`);
  return { sourceId, message: log.stdout.trim() };
}

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
      pushes.set(token, { app: target, actor: req.actor?.name ?? 'unknown', base: baseUrl(ctx, req), token });
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

  // Called by the pre-receive hook, once per push, with git's "<old> <new> <ref>" lines and the name of its quarantine folder.
  app.post('/git-hooks/push', async (req, reply) => {
    const push = pushes.get(presentedToken(req) ?? '');
    if (!push) throw fail('unauthorized', 'This endpoint only takes commits from a push in progress.');
    const repo = repoPath(ctx.config.dataDir, push.app.id);
    const env = quarantineEnv(repo, String(req.headers['x-slipway-quarantine'] ?? ''));
    if ('error' in env) throw fail('invalid_params', env.error);
    const refs = parsePushedRefs(typeof req.body === 'string' ? req.body : '');
    const coupling = await couplingOfApp(ctx.store.db, push.app.id);
    const pipelineName = coupling ? (await getPipeline(ctx.store.db, coupling.pipeline_id)).name : '';
    const ac = new AbortController();
    req.raw.on('close', () => ac.abort());
    const lines = async function* () {
      let ok = true;
      try {
        for (const r of refs) {
          const skipped = skippedRef(r);
          if (skipped !== null) { if (skipped) yield skipped; continue; }
          const taken = await takeCommit(ctx, repo, env, r.sha);
          if ('refused' in taken) { yield `!     Push rejected: ${taken.refused}\n`; ok = false; continue; }
          const sourceBlobUrl = signedUrl(ctx, req, `/sources/${taken.sourceId}/blob`);
          const outcome = await pushToApp(ctx, push.app, { branch: r.ref.slice('refs/heads/'.length), sha: r.sha, message: taken.message.slice(0, 4000), sourceBlobUrl, via: 'git push', actor: push.actor });
          ok = (yield* pushProgress(ctx, push.app, r.sha, outcome, (n) => `${push.base}/pipelines/${pipelineName}/tests/${n}`, ac.signal)) && ok;
        }
      } catch (e) {
        ctx.log.error(`push to ${push.app.name}: ${(e as Error).stack}`);
        yield `!      Slipway failed while deploying: ${(e as Error).message}\n`;
        ok = false;
      }
      yield pushResultLine(push.token, ok);
    };
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(Readable.from(lines()));
  });
}
