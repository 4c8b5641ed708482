// Apps, config vars, builds, releases, formation, dynos and logs — Heroku Platform API v3 paths.
import { purgeBuildCache } from '../releases/build-cache.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod/v3';
import { getApp, getConfigVars, patchConfigVars, renameApp, setMaintenance, type App } from '../store/apps.js';
import { generatedAppName } from '../core/app-name.js';
import { getRelease, listReleases, type Release } from '../store/releases.js';
import { getBuild, listBuilds, type Build } from '../store/builds.js';
import path from 'node:path';
import { startBuild, releaseConfigChange, releaseSlug, rollback, buildLogKey, releaseLogKey, scheduleDynos } from '../releases/deploy.js';
import { listAppDynos } from '../store/desired-dynos.js';
import { followStep } from '../releases/step-output.js';
import { publishAppEvent } from '../webhooks/publish.js';
import { appLogKey, appendAppLog } from '../releases/app-log.js';
import { sourceIdFromUrl, sourceKey } from '../git/source-blobs.js';
import { createAppWithRelease, destroyApp } from '../releases/app-lifecycle.js';
import { getSpace, placeApp } from '../store/spaces.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';
import { parseBody, refuseBadKeys } from './errors.js';
import { signedUrl } from './urls.js';
import { accountEmail, herokuAppJson, herokuAppsJson } from './heroku/shapes.js';
import { sseEvent } from './heroku/sse.js';
import { listedOneOffs } from './one-off-routes.js';
import { visibleApps } from './visible.js';
import { claimOwnership } from './ownership.js';

export async function appRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  const appJson = (req: FastifyRequest, a: App) => herokuAppJson(ctx, req, a);
  const releaseJson = (req: FastifyRequest, a: App, r: Release) => ({
    id: r.id, version: r.version, description: r.description, status: r.status, current: r.current === 1, slug: r.slug_id ? { id: r.slug_id } : null,
    app: { id: a.id, name: a.name }, message: r.message, eligible_for_rollback: r.status === 'succeeded', addon_plan_names: [],
    // Who made it: a token's account, a git pusher; null for what Slipway did by itself (automatic rollback).
    user: r.user_name ? { id: null, email: accountEmail(r.user_name) } : null,
    output_stream_url: signedUrl(ctx, req, `/apps/${a.id}/releases/${r.id}/output`), created_at: r.created_at, updated_at: r.updated_at,
  });
  const buildJson = (req: FastifyRequest, a: App, b: Build) => ({
    id: b.id, status: b.status, app: { id: a.id }, source_blob: { url: b.source_blob_url, version: b.source_version }, slug: b.slug_id ? { id: b.slug_id } : null,
    release: b.release_id ? { id: b.release_id } : null, buildpacks: b.buildpacks ? (JSON.parse(b.buildpacks) as string[]).map((url) => ({ url })) : null,
    message: b.message, output_stream_url: signedUrl(ctx, req, `/apps/${a.id}/builds/${b.id}/output`), created_at: b.created_at, updated_at: b.updated_at,
  });
  const follow = (key: string, pending: () => Promise<boolean>, reply: import('fastify').FastifyReply, req: FastifyRequest) => {
    const ac = new AbortController();
    req.raw.on('close', () => ac.abort());
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(Readable.from(followStep(ctx.logs, key, pending, ac.signal)));
  };

  app.post('/apps', async (req, reply) => {
    const b = parseBody(z.object({ name: z.string().nullable().optional(), space: z.string().optional(), internal_routing: z.boolean().optional() }).passthrough(), req.body ?? {});
    if (b.internal_routing && !b.space) throw fail('invalid_params', 'internal_routing needs a space: an internal app is reachable only from inside its private space (pass --space NAME).');
    const space = b.space ? await getSpace(db, b.space) : undefined;
    let a = b.name ? await createAppWithRelease(ctx, b.name) : await createNamedByUs();
    await claimOwnership(db, 'apps', a.id, req);
    if (space) {
      await placeApp(db, a.id, space.id, !!b.internal_routing);
      a = await getApp(db, a.id);
      await ctx.onAppsChanged?.();
    }
    return reply.status(201).send(await appJson(req, a));
  });
  // No name given: one made as Heroku makes them, tried again on the rare clash.
  const createNamedByUs = async (): Promise<App> => {
    for (let i = 0; ; i++) {
      try { return await createAppWithRelease(ctx, generatedAppName()); } catch (e) { if (i >= 4 || (e as { id?: string }).id !== 'name_taken') throw e; }
    }
  };
  // apps:rename and maintenance:on/off.
  app.patch<{ Params: { app: string } }>('/apps/:app', async (req) => {
    let a = await getApp(db, req.params.app);
    const b = parseBody(z.object({ name: z.string().optional(), maintenance: z.boolean().optional() }).passthrough(), req.body);
    if (b.name !== undefined && b.name !== a.name) {
      const old = a.name;
      a = await renameApp(db, a, b.name);
      appendAppLog(ctx.logs, a.id, 'app[api]', `Rename from ${old} to ${a.name} by user ${accountEmail(req.actor?.name ?? 'unknown')}`);
    }
    if (b.maintenance !== undefined && (a.maintenance === 1) !== b.maintenance) {
      await setMaintenance(db, a.id, b.maintenance);
      appendAppLog(ctx.logs, a.id, 'app[api]', `Maintenance mode ${b.maintenance ? 'on' : 'off'} by user ${accountEmail(req.actor?.name ?? 'unknown')}`);
      a = await getApp(db, a.id);
    }
    await ctx.onAppsChanged?.();
    const shown = await appJson(req, a);
    await publishAppEvent(ctx, { appId: a.id, include: 'api:app', resource: 'app', action: 'update', data: shown as Record<string, unknown>, actor: req.actor?.name });
    return shown;
  });
  app.get('/apps', async (req) => herokuAppsJson(ctx, req, await visibleApps(db, req)));
  app.get<{ Params: { app: string } }>('/apps/:app', async (req) => appJson(req, await getApp(db, req.params.app)));
  app.delete<{ Params: { app: string } }>('/apps/:app', async (req) => {
    const a = await getApp(db, req.params.app);
    const shown = await appJson(req, a);
    await destroyApp(ctx, a);
    // Its drains went with its row (foreign key); their workers stop here.
    await ctx.drains.sync();
    return shown;
  });

  app.get<{ Params: { app: string } }>('/apps/:app/config-vars', async (req) => getConfigVars(db, (await getApp(db, req.params.app)).id));
  app.patch<{ Params: { app: string } }>('/apps/:app/config-vars', async (req) => {
    const a = await getApp(db, req.params.app);
    refuseBadKeys(req.body);
    const patch = parseBody(z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'config var names are letters, digits and _'), z.string().nullable()), req.body);
    if (await patchConfigVars(db, a.id, patch)) {
      const set = Object.keys(patch).filter((k) => patch[k] !== null);
      const unset = Object.keys(patch).filter((k) => patch[k] === null);
      await releaseConfigChange(ctx, a, [set.length && `Set ${set.join(', ')} config vars`, unset.length && `Remove ${unset.join(', ')} config vars`].filter(Boolean).join('; '), req.actor?.name);
    }
    return getConfigVars(db, a.id);
  });

  app.post<{ Params: { app: string } }>('/apps/:app/builds', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(z.object({ source_blob: z.object({ url: z.string().url(), version: z.string().max(255).nullable().optional(), checksum: z.string().nullable().optional() }) }).passthrough(), req.body);
    const sourceId = sourceIdFromUrl(b.source_blob.url);
    if (sourceId && !(await ctx.blobs.exists(sourceKey(sourceId)))) throw fail('source_not_found');
    return reply.status(201).send(buildJson(req, a, await startBuild(ctx, a, b.source_blob.url, b.source_blob.version ?? null, req.actor?.name)));
  });
  app.get<{ Params: { app: string } }>('/apps/:app/builds', async (req) => { const a = await getApp(db, req.params.app); return (await listBuilds(db, a.id)).map((b) => buildJson(req, a, b)); });
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/builds/:id', async (req) => { const a = await getApp(db, req.params.app); return buildJson(req, a, await getBuild(db, a.id, req.params.id)); });
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/builds/:id/output', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const id = (await getBuild(db, a.id, req.params.id)).id;
    return follow(buildLogKey(id), async () => (await getBuild(db, a.id, id)).status === 'pending', reply, req);
  });

  app.delete<{ Params: { app: string } }>('/apps/:app/build-cache', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    purgeBuildCache(path.join(ctx.config.dataDir, 'build-cache'), a.id);
    return reply.status(202).send({});
  });

  app.get<{ Params: { app: string } }>('/apps/:app/releases', async (req) => { const a = await getApp(db, req.params.app); return (await listReleases(db, a.id)).map((r) => releaseJson(req, a, r)); });
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/releases/:id', async (req) => { const a = await getApp(db, req.params.app); return releaseJson(req, a, await getRelease(db, a.id, req.params.id)); });
  app.post<{ Params: { app: string } }>('/apps/:app/releases', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    // {release}: a rollback; {slug, description}: a new release of that slug with today's config (releases:retry).
    const b = parseBody(z.union([
      z.object({ release: z.union([z.string(), z.number()]) }),
      z.object({ slug: z.string().min(1), description: z.string().max(500).optional() }).passthrough(),
    ]), req.body);
    if (!('slug' in b)) return reply.status(201).send(releaseJson(req, a, await rollback(ctx, a, b.release, undefined, req.actor?.name)));
    if (!(await listReleases(db, a.id)).some((r) => r.slug_id === b.slug)) throw fail('not_found', `${a.name} has no release with slug ${b.slug}; see \`heroku releases -a ${a.name}\`.`);
    return reply.status(201).send(releaseJson(req, a, await releaseSlug(ctx, a, b.slug, b.description ?? 'Release of an earlier slug', req.actor?.name)));
  });
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/releases/:id/output', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const id = (await getRelease(db, a.id, req.params.id)).id;
    return follow(releaseLogKey(id), async () => (await getRelease(db, a.id, id)).status === 'pending', reply, req);
  });

  const dynoJson = (a: App, d: Awaited<ReturnType<typeof listAppDynos>>[number]) => ({
    id: d.id, name: d.name, type: d.process_type, state: d.state, command: d.command, release: { id: d.release_id, version: d.version }, app: { id: a.id, name: a.name }, created_at: d.created_at, updated_at: d.updated_at, attach_url: null, size: d.size,
  });
  app.get<{ Params: { app: string } }>('/apps/:app/dynos', async (req) => {
    const a = await getApp(db, req.params.app);
    return [...(await listAppDynos(db, a.id)).map((d) => dynoJson(a, d)), ...await listedOneOffs(ctx, req, a)];
  });
  app.delete<{ Params: { app: string; dyno?: string } }>('/apps/:app/dynos', async (req, reply) => { const a = await getApp(db, req.params.app); await scheduleDynos(ctx, a.id, '', { wait: false }); return reply.status(202).send({}); });
  // ps:restart --process-type web
  app.delete<{ Params: { app: string; type: string } }>('/apps/:app/formations/:type', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    if (!(await listAppDynos(db, a.id)).some((d) => d.process_type === req.params.type)) throw fail('not_found', `No ${req.params.type} dynos are running on ${a.name}; see \`heroku ps -a ${a.name}\`.`);
    await scheduleDynos(ctx, a.id, req.params.type, { wait: false });
    return reply.status(202).send({});
  });
  app.delete<{ Params: { app: string; dyno: string } }>('/apps/:app/dynos/:dyno', async (req, reply) => { const a = await getApp(db, req.params.app); await scheduleDynos(ctx, a.id, req.params.dyno, { wait: false }); return reply.status(202).send({}); });

  app.post<{ Params: { app: string } }>('/apps/:app/log-sessions', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(z.object({ lines: z.number().int().min(0).max(1500).optional(), tail: z.boolean().optional(), dyno: z.string().optional(), source: z.string().optional() }).passthrough(), req.body);
    const q = new URLSearchParams({ lines: String(b.lines ?? 100), tail: String(!!b.tail), ...(b.dyno ? { dyno: b.dyno } : {}), ...(b.source ? { source: b.source } : {}) });
    const base = signedUrl(ctx, req, `/apps/${a.id}/log-stream`);
    return reply.status(201).send({ id: a.id, logplex_url: `${base}&${q}`, created_at: new Date().toISOString(), updated_at: new Date().toISOString() });
  });
  app.get<{ Params: { app: string }; Querystring: { lines?: string; tail?: string; dyno?: string; source?: string } }>('/apps/:app/log-stream', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const lines = Math.min(1500, Number(req.query.lines ?? 100));
    const wanted = (l: string) => (!req.query.dyno || l.includes(`[${req.query.dyno}]`) || l.includes(`[${req.query.dyno}.`)) && (!req.query.source || l.split(' ')[1]?.startsWith(req.query.source));
    const key = appLogKey(a.id);
    ctx.logs.ensureOpen(key); // followed until the app goes, also where no line was written yet
    await ctx.logs.settled(key); // with replicas: what each wrote so far
    const last = ctx.logs.lastLines(key, lines, wanted);
    const past = last.lines.map((l) => l + '\n').join('');
    // The heroku CLI reads log sessions as server-sent events; Slipway's own CLI reads plain text.
    const asSse = (req.headers.accept ?? '').includes('text/event-stream');
    const type = asSse ? 'text/event-stream; charset=utf-8' : 'text/plain; charset=utf-8';
    const frame = (t: string) => (asSse ? sseEvent(t) : t);
    if (req.query.tail !== 'true') return reply.type(type).send(frame(past));
    const ac = new AbortController();
    req.raw.on('close', () => ac.abort());
    const from = last.end;
    async function* body() {
      yield frame(past);
      let rest = '';
      for await (const c of ctx.logs.follow(key, from, ac.signal)) {
        const all = (rest + c.toString()).split('\n');
        rest = all.pop() ?? '';
        const out = all.filter((l) => l && wanted(l)).map((l) => l + '\n').join('');
        if (out) yield frame(out);
      }
    }
    return reply.type(type).header('cache-control', 'no-cache').send(Readable.from(body()));
  });
}
