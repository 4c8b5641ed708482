// The app page, /apps/NAME for a browser: releases, formation and dynos, config vars (names only:
// each value is fetched when revealed, so it is never in the page's HTML, caches or a saved copy),
// builds, and the live log with a pause button; outputs load and follow on demand.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { getApp, getConfigVars, type App } from '../../store/apps.js';
import { getBuild } from '../../store/builds.js';
import { getRelease } from '../../store/releases.js';
import { couplingOfApp } from '../../store/couplings.js';
import { buildLogKey, releaseLogKey, rollback } from '../../releases/deploy.js';
import { stepReady } from '../../releases/step-output.js';
import { appLogKey } from '../../releases/app-log.js';
import { appUrl } from '../../pipelines/automation.js';
import { html, raw, type Html } from '../html.js';
import { enc, offers, page, type View } from '../layout.js';
import { HTML_ROUTE } from '../negotiate.js';
import { checkCsrf } from '../auth/sign-in.js';
import { viewOf } from '../view.js';
import { fail } from '../../core/errors.js';
import { logWindow } from '../output/log-window.js';
import { sendLive } from '../output/live.js';
import { buildsPart, processesPart, releasesPart } from './app-parts.js';
import { settingsCard, settingsRoutes } from './app-settings.js';
import { metricsCard } from './metrics-card.js';
import { isRange } from '../../metrics/series.js';
import { mayOn } from '../may.js';

async function parts(ctx: AppContext, v: View, a: App): Promise<Record<string, Html>> {
  return { releases: await releasesPart(ctx, v, a), processes: await processesPart(ctx, a), builds: await buildsPart(ctx, a) };
}

export async function appPages(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  settingsRoutes(app, ctx);
  app.get<{ Params: { app: string }; Querystring: { range?: string } }>('/apps/:app', { constraints: HTML_ROUTE, config: { web: 'page' } }, async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const v = { ...viewOf(req), may: await mayOn(db, req, 'app', a) };
    const coupling = await couplingOfApp(db, a.id);
    const pt = await parts(ctx, v, a);
    const vars = await getConfigVars(db, a.id);
    const log = logWindow(ctx.logs, appLogKey(a.id), undefined, 32 * 1024);
    const base = `/apps/${enc(a.name)}`;
    const body = html`<h1>${a.name}</h1>
<p class="muted">${coupling ? html`<a href="/pipelines/${enc(coupling.pipeline_name)}">${coupling.pipeline_name}</a> · ${coupling.stage} · ` : ''}<a href="${appUrl(ctx, a.name)}">${appUrl(ctx, a.name)}</a></p>
<div class="two"><section class="card"><h2>Releases</h2><div data-part="releases">${pt['releases']}</div></section>
<section class="card"><h2>Processes</h2><div data-part="processes">${pt['processes']}</div></section></div>
<div class="two"><section class="card"><h2>Config vars</h2>${Object.keys(vars).length ? html`<table class="list config"><tbody>
${Object.keys(vars).map((k) => html`<tr><th><code>${k}</code></th><td><span class="masked" aria-hidden="true">••••••••</span><code class="secret" hidden></code>
${offers(v, 'deploy') ? html`<button type="button" class="link" data-reveal="${base}/config-vars/${enc(k)}/reveal">Reveal</button>` : ''}</td></tr>`)}</tbody></table>` : html`<p class="muted">No config vars. Set them with <code>slipway config:set KEY=value -a ${a.name}</code>.</p>`}</section>
<section class="card"><h2>Builds</h2><div data-part="builds">${pt['builds']}</div></section></div>
${await metricsCard(ctx, a, isRange(req.query.range) ? req.query.range : '1h')}
${await settingsCard(ctx, v, a)}
<section class="card"><h2>Logs <button type="button" class="secondary small" data-pause="applog">Pause</button></h2>
<pre class="log applog" id="applog" data-live="${base}/log/live?from=${log.end}" data-follow>${raw(log.html)}</pre></section>`;
    return reply.type('text/html; charset=utf-8').send(page(v, a.name, body, {
      crumbs: coupling ? [['Pipelines', '/pipelines'], [coupling.pipeline_name, `/pipelines/${enc(coupling.pipeline_name)}`], [a.name, null]] : [['Pipelines', '/pipelines'], [a.name, null]],
      poll: `${base}/state`,
    }));
  });

  // One config value, on request: a POST with the session's CSRF token, so another site cannot make a browser read it.
  app.post<{ Params: { app: string; key: string } }>('/apps/:app/config-vars/:key/reveal', { config: { web: 'page' } }, async (req, reply) => {
    checkCsrf(ctx, req);
    const a = await getApp(db, req.params.app);
    const vars = await getConfigVars(db, a.id);
    if (!Object.hasOwn(vars, req.params.key)) throw fail('not_found', `${a.name} has no config var named ${req.params.key}.`);
    return reply.header('cache-control', 'no-store').send({ key: req.params.key, value: vars[req.params.key] });
  });

  app.get<{ Params: { app: string } }>('/apps/:app/state', { config: { web: 'data' } }, async (req) => {
    const a = await getApp(db, req.params.app);
    const pt = await parts(ctx, { ...viewOf(req), may: await mayOn(db, req, 'app', a) }, a);
    return { done: false, parts: Object.fromEntries(Object.entries(pt).map(([k, h]) => [k, h.value])) };
  });

  // Release-phase and build output: the tail as JSON, and the live stream while it is still written.
  const outputs = [
    { kind: 'releases', key: async (a: App, id: string) => releaseLogKey((await getRelease(db, a.id, id)).id), pending: async (a: App, id: string) => (await getRelease(db, a.id, id)).status === 'pending' },
    { kind: 'builds', key: async (a: App, id: string) => buildLogKey((await getBuild(db, a.id, id)).id), pending: async (a: App, id: string) => (await getBuild(db, a.id, id)).status === 'pending' },
  ];
  for (const o of outputs) {
    app.get<{ Params: { app: string; id: string } }>(`/apps/:app/${o.kind}/:id/log`, { config: { web: 'data' } }, async (req) => {
      const a = await getApp(db, req.params.app);
      const key = await o.key(a, req.params.id);
      await ctx.logs.restore(key);
      const w = logWindow(ctx.logs, key);
      // Pending: its output begins on whichever replica runs it (live there, from the archive elsewhere once it ends).
      const follow = ctx.logs.isLive(key) || await o.pending(a, req.params.id);
      return { ...w, live: follow ? `/apps/${enc(a.name)}/${o.kind}/${enc(req.params.id)}/log/live?from=${w.end}` : null };
    });
    app.get<{ Params: { app: string; id: string }; Querystring: { from?: string } }>(`/apps/:app/${o.kind}/:id/log/live`, { config: { web: 'data' } }, async (req, reply) => {
      const a = await getApp(db, req.params.app);
      const key = await o.key(a, req.params.id);
      await sendLive(ctx.logs, key, req, reply, { ready: (signal) => stepReady(ctx.logs, key, () => o.pending(a, req.params.id), signal) });
    });
  }

  app.get<{ Params: { app: string }; Querystring: { from?: string } }>('/apps/:app/log/live', { config: { web: 'data' } }, async (req, reply) => {
    const a = await getApp(db, req.params.app);
    await sendLive(ctx.logs, appLogKey(a.id), req, reply, { forever: true });
  });

  app.post<{ Params: { app: string; id: string } }>('/apps/:app/releases/:id/rollback', { config: { web: 'page' } }, async (req, reply) => {
    checkCsrf(ctx, req);
    const a = await getApp(db, req.params.app);
    const to = await getRelease(db, a.id, req.params.id);
    await rollback(ctx, a, to.version, undefined, req.actor?.name);
    return reply.redirect(`/apps/${enc(a.name)}`, 303);
  });
}
