// The app page's settings: set and remove config vars, scale and resize process types, maintenance
// on and off, restart every dyno. Each form carries the session's CSRF token; destructive ones ask for the app's name;
// each acts through the API's own route (callApiAs), so it validates, releases and logs exactly as
// `slipway config:set`, `ps:scale` and `ps:restart` do.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { getApp, getConfigVars, type App } from '../../store/apps.js';
import { getFormation } from '../../store/formation.js';
import { DYNO_SIZES } from '../../core/dyno-size.js';
import { fail } from '../../core/errors.js';
import { callApiAs } from '../../api/internal-call.js';
import { answerOrFail } from '../api-answer.js';
import { checkCsrf } from '../auth/sign-in.js';
import { html, type Html } from '../html.js';
import { csrfField, enc, offers, type View } from '../layout.js';

const confirmField = (a: App): Html => html`<label class="confirm">Type <code>${a.name}</code> to confirm <input name="confirm" autocomplete="off" required pattern="${a.name.replace(/[-.]/g, '\\$&')}"></label>`;

/** The settings card (rendered once with the page, outside the parts that refresh themselves). */
export async function settingsCard(ctx: AppContext, v: View, a: App): Promise<Html> {
  const base = `/apps/${enc(a.name)}/settings`;
  const keys = Object.keys(await getConfigVars(ctx.store.db, a.id));
  const formation = await getFormation(ctx.store.db, a.id);
  const sizes = (current: string) => DYNO_SIZES.map((s) => html`<option value="${s.name}"${s.name === current ? html` selected` : ''}>${s.name}</option>`);
  // Only what the viewer may change: config and maintenance need manage, scaling and restarts operate.
  const [manage, operate] = [offers(v, 'manage'), offers(v, 'operate')];
  if (!manage && !operate) return html``;
  return html`<section class="card settings" id="settings"><h2>Settings</h2>
${manage ? html`<h3>Config vars</h3>
<form method="post" action="${base}/config" class="row">${csrfField(v)}
<input name="key" placeholder="KEY" required pattern="[A-Za-z_][A-Za-z0-9_]*" aria-label="Config var name"><input name="value" placeholder="value" aria-label="Value">
<button type="submit">Set</button></form>
${keys.length ? html`<form method="post" action="${base}/config/unset" class="row">${csrfField(v)}
<select name="key" aria-label="Config var to remove">${keys.map((k) => html`<option>${k}</option>`)}</select>${confirmField(a)}
<button type="submit" class="danger">Remove</button></form>` : ''}` : ''}
${operate ? html`<h3>Scale</h3>
${formation.length ? formation.map((f) => html`<form method="post" action="${base}/scale" class="row" data-type="${f.type}">${csrfField(v)}
<input type="hidden" name="type" value="${f.type}"><b>${f.type}</b>
<input name="quantity" type="number" min="0" max="100" value="${f.quantity}" aria-label="${f.type} dynos">
<select name="size" aria-label="${f.type} size">${sizes(f.size)}</select>
<input name="confirm" placeholder="app name, to scale to 0" autocomplete="off" aria-label="Confirm scaling ${f.type} to 0">
<button type="submit">Scale</button></form>`) : html`<p class="muted">Nothing to scale before the first deploy.</p>`}
` : ''}
${manage ? html`<h3>Maintenance</h3>
${a.maintenance === 1
    ? html`<form method="post" action="${base}/maintenance" class="row">${csrfField(v)}<input type="hidden" name="maintenance" value="off"><span>On: the router answers every request with the maintenance page (503).</span><button type="submit">Turn maintenance off</button></form>`
    : html`<form method="post" action="${base}/maintenance" class="row">${csrfField(v)}<input type="hidden" name="maintenance" value="on">${confirmField(a)}<button type="submit" class="danger">Turn maintenance on</button></form>`}
` : ''}
${operate ? html`<h3>Restart</h3>
<form method="post" action="${base}/restart" class="row">${csrfField(v)}${confirmField(a)}<button type="submit" class="danger">Restart all dynos</button></form>` : ''}
</section>`;
}

type Form = Record<string, string | undefined>;

/** The app named in the URL, after the CSRF check; with `confirm`, the typed name must match. */
async function formApp(ctx: AppContext, req: FastifyRequest<{ Params: { app: string } }>, confirm: boolean): Promise<{ a: App; form: Form; actor: string }> {
  checkCsrf(ctx, req);
  const a = await getApp(ctx.store.db, req.params.app);
  const form = (req.body ?? {}) as Form;
  if (confirm && form['confirm'] !== a.name) throw fail('confirmation_required', `To confirm, type the app's name (${a.name}) in the confirmation field.`);
  return { a, form, actor: req.web!.id };
}

export function settingsRoutes(app: FastifyInstance, ctx: AppContext): void {
  const back = (a: App) => `/apps/${enc(a.name)}#settings`;
  type Req = FastifyRequest<{ Params: { app: string } }>;
  const opts = { config: { web: 'page' as const } };

  app.post<{ Params: { app: string } }>('/apps/:app/settings/config', opts, async (req: Req, reply) => {
    const { a, form, actor } = await formApp(ctx, req, false);
    if (!form['key']) throw fail('invalid_params', 'Name the config var to set.');
    answerOrFail(await callApiAs(app, actor, 'PATCH', `/apps/${enc(a.name)}/config-vars`, { [form['key']]: form['value'] ?? '' }));
    return reply.redirect(back(a), 303);
  });
  app.post<{ Params: { app: string } }>('/apps/:app/settings/config/unset', opts, async (req: Req, reply) => {
    const { a, form, actor } = await formApp(ctx, req, true);
    if (!form['key']) throw fail('invalid_params', 'Name the config var to remove.');
    answerOrFail(await callApiAs(app, actor, 'PATCH', `/apps/${enc(a.name)}/config-vars`, { [form['key']]: null }));
    return reply.redirect(back(a), 303);
  });
  app.post<{ Params: { app: string } }>('/apps/:app/settings/scale', opts, async (req: Req, reply) => {
    const { a, form, actor } = await formApp(ctx, req, false);
    const quantity = Number(form['quantity']);
    // Scaling a process type to 0 stops it: confirmed like the other destructive forms.
    if (quantity === 0 && form['confirm'] !== a.name) throw fail('confirmation_required', `Scaling ${form['type']} to 0 stops it: type the app's name (${a.name}) to confirm.`);
    answerOrFail(await callApiAs(app, actor, 'PATCH', `/apps/${enc(a.name)}/formation/${enc(form['type'] ?? '')}`, { quantity: form['quantity'], ...(form['size'] ? { size: form['size'] } : {}) }));
    return reply.redirect(back(a), 303);
  });
  app.post<{ Params: { app: string } }>('/apps/:app/settings/maintenance', opts, async (req: Req, reply) => {
    const on = ((req.body ?? {}) as Form)['maintenance'] === 'on';
    // Turning it on takes the site down: confirmed like the other destructive forms.
    const { a, actor } = await formApp(ctx, req, on);
    answerOrFail(await callApiAs(app, actor, 'PATCH', `/apps/${enc(a.name)}`, { maintenance: on }));
    return reply.redirect(back(a), 303);
  });
  app.post<{ Params: { app: string } }>('/apps/:app/settings/restart', opts, async (req: Req, reply) => {
    const { a, actor } = await formApp(ctx, req, true);
    answerOrFail(await callApiAs(app, actor, 'DELETE', `/apps/${enc(a.name)}/dynos`));
    return reply.redirect(back(a), 303);
  });
}
