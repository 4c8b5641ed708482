// The audit log page (`/audit` in a browser, `?app=NAME` for one app): the newest changes first,
// with their actor, time and address. Admins only, as `GET /audit` is.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { listAuditEvents } from '../../store/audit-events.js';
import { getApp } from '../../store/apps.js';
import { fail } from '../../core/errors.js';
import { html } from '../html.js';
import { ago, enc, page } from '../layout.js';
import { viewOf } from '../view.js';
import { HTML_ROUTE } from '../negotiate.js';

export async function auditPages(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: { app?: string } }>('/audit', { constraints: HTML_ROUTE, config: { web: 'page' } }, async (req, reply) => {
    const v = viewOf(req);
    if (!req.principal?.admin) throw fail('admin_only', 'Only a Slipway admin reads the audit log.');
    const a = req.query.app ? await getApp(ctx.store.db, req.query.app) : undefined;
    const events = await listAuditEvents(ctx.store.db, { appId: a?.id, limit: 200 });
    const body = html`<section class="card"><h1>Audit log${a ? html` of <a href="/apps/${enc(a.name)}">${a.name}</a>` : ''}</h1>
<p class="muted small">Every change, newest first (200 shown). Events older than ${ctx.config.auditRetentionDays} days are deleted (SLIPWAY_AUDIT_RETENTION_DAYS).</p>
${events.length ? html`<table class="audit"><thead><tr><th>When</th><th>Who</th><th>Action</th><th>App or target</th><th>Details</th><th>From</th></tr></thead><tbody>
${events.map((e) => html`<tr data-action="${e.action}"><td>${ago(e.at)}</td><td>${e.actor}</td><td><code>${e.action}</code></td>
<td>${e.app_name ? html`<a href="/audit?app=${enc(e.app_name)}">${e.app_name}</a>` : html`<code>${e.target}</code>`}</td><td><code>${e.details ?? ''}</code></td><td>${e.ip ?? ''}</td></tr>`)}
</tbody></table>` : html`<p>No changes recorded yet.</p>`}</section>`;
    return reply.type('text/html; charset=utf-8').send(page(v, 'Audit log', body, { crumbs: [['Audit log', null]], wide: true }));
  });
}
