// The parts of an app page: releases (with release-phase output and rollback), formation and dynos,
// builds (with output). Outputs load when their row is opened.
import type { AppContext } from '../../app-context.js';
import { listAppDynos } from '../../store/desired-dynos.js';
import type { App } from '../../store/apps.js';
import { listReleases } from '../../store/releases.js';
import { listBuilds } from '../../store/builds.js';
import { getFormation } from '../../store/formation.js';
import { liveOneOffs } from '../../store/one-off-dynos.js';
import { html, type Html } from '../html.js';
import { ago, badge, csrfField, enc, offers, type View } from '../layout.js';
import { shortSha } from '../format.js';

export async function releasesPart(ctx: AppContext, v: View, a: App): Promise<Html> {
  const releases = await listReleases(ctx.store.db, a.id, 20);
  const base = `/apps/${enc(a.name)}/releases`;
  return html`<table class="list releases"><thead><tr><th>Version</th><th>Status</th><th>Description</th><th>When</th><th></th></tr></thead><tbody>
${releases.map((r) => html`<tr data-release="${r.version}"${r.current ? html` class="current"` : ''}><td><b>v${r.version}</b>${r.current ? html` <span class="tag">current</span>` : ''}</td>
<td>${badge(r.status)}</td>
<td>${r.description}${r.message ? html`<div class="small bad">${r.message}</div>` : ''}
${r.slug_id ? html`<details data-src="${base}/${r.id}/log" data-key="release-${r.id}"><summary>Release phase output</summary><pre class="log"></pre></details>` : ''}</td>
<td>${ago(r.created_at)}</td>
<td>${!r.current && r.status === 'succeeded' && r.slug_id && offers(v, 'deploy') ? html`<button type="button" class="secondary rollback" data-open-dialog="rollback-${r.version}" title="Roll back to v${r.version}">Roll back to v${r.version}</button>
<dialog id="rollback-${r.version}"><form method="post" action="${base}/${r.id}/rollback">${csrfField(v)}<h3>Roll back ${a.name} to v${r.version}?</h3>
<p>A new release is made with v${r.version}'s code and config vars; its release phase runs first.</p>
<div class="actions"><button type="button" class="secondary" data-close-dialog>Cancel</button><button type="submit" class="danger">Roll back</button></div></form></dialog>` : ''}</td></tr>`)}
</tbody></table>`;
}

export async function processesPart(ctx: AppContext, a: App): Promise<Html> {
  const formation = await getFormation(ctx.store.db, a.id);
  const dynos = await listAppDynos(ctx.store.db, a.id);
  // The server's own one-offs, then those agents run (rows).
  const oneOffs = [...ctx.oneOffs.list(a.id), ...(await liveOneOffs(ctx.store.db, a.id)).map((r) => ({ name: r.name, command: r.command, state: r.state, createdAt: r.created_at }))];
  return html`<h3>Formation</h3>${formation.length ? html`<table class="list"><thead><tr><th>Type</th><th>Quantity</th><th>Size</th></tr></thead><tbody>
${formation.map((f) => html`<tr><td>${f.type}</td><td>${f.quantity}</td><td>${f.size}</td></tr>`)}</tbody></table>` : html`<p class="muted">No process types scaled yet.</p>`}
<h3>Dynos</h3>${dynos.length || oneOffs.length ? html`<table class="list"><thead><tr><th>Dyno</th><th>State</th><th>Release</th><th>Up since</th></tr></thead><tbody>
${dynos.map((d) => html`<tr><td>${d.name}</td><td>${badge(d.state)}</td><td>v${d.version}</td><td>${ago(d.updated_at)}</td></tr>`)}
${oneOffs.map((r) => html`<tr><td>${r.name} <span class="muted small">${r.command}</span></td><td>${badge(r.state)}</td><td></td><td>${ago(r.createdAt)}</td></tr>`)}
</tbody></table>` : html`<p class="muted">No dynos running.</p>`}`;
}

export async function buildsPart(ctx: AppContext, a: App): Promise<Html> {
  const builds = await listBuilds(ctx.store.db, a.id, 10);
  if (!builds.length) return html`<p class="muted">No builds yet: <code>git push</code> or <code>slipway builds:create -a ${a.name}</code>.</p>`;
  return html`<table class="list"><thead><tr><th>Build</th><th>Status</th><th>Commit</th><th>When</th></tr></thead><tbody>
${builds.map((b) => html`<tr><td><details data-src="/apps/${enc(a.name)}/builds/${b.id}/log" data-key="build-${b.id}"><summary><code>${b.id.slice(0, 8)}</code> output</summary><pre class="log"></pre></details>${b.message ? html`<div class="small bad">${b.message}</div>` : ''}</td>
<td>${badge(b.status)}</td><td><code>${shortSha(b.source_version)}</code></td><td>${ago(b.created_at)}</td></tr>`)}
</tbody></table>`;
}
