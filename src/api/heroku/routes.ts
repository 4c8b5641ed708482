// Platform API v3 resources the heroku CLI calls that Slipway's own CLI does not: the account,
// app filters, add-on attachments, release config vars and slugs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod/v3';
import { getApp, type App } from '../../store/apps.js';
import { getRelease } from '../../store/releases.js';
import { getSlug } from '../../store/builds.js';
import { listAppAddons, type AppAddon } from '../../store/app-addons.js';
import { fail } from '../../core/errors.js';
import type { AppContext } from '../../app-context.js';
import { parseBody } from '../errors.js';
import { addonJson } from '../addons.js';
import { accountEmail, accountJson, herokuAppsJson } from './shapes.js';
import { visibleApps } from '../visible.js';

// Plans the CLI lists (addons:plans); Slipway runs the same local server for each, at no price.
const ADDON_PLANS: Record<string, string[]> = { 'heroku-postgresql': ['essential-0', 'essential-1', 'standard-0'], 'heroku-redis': ['mini', 'premium-0'] };

export async function herokuCompatRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;

  const me = (req: FastifyRequest) => req.principal && { id: req.principal.userId ?? req.principal.tokenId, name: req.principal.email?.replace(/@slipway\.local$/, '') ?? req.principal.tokenName };
  app.get('/account', async (req) => accountJson(me(req)));
  app.get<{ Params: { user: string } }>('/users/:user', async (req) => {
    const u = req.params.user;
    const who = me(req);
    if (u !== '~' && u !== who?.id && u !== accountEmail(who?.name ?? '')) throw fail('not_found', `No account ${u} visible to you; ask for ~ (yourself).`);
    return accountJson(who);
  });
  app.get<{ Params: { user: string } }>('/users/:user/apps', async (req) => herokuAppsJson(ctx, req, await visibleApps(db, req)));

  // pipelines:info fetches the apps of a pipeline in one request.
  app.post('/filters/apps', async (req) => {
    const b = parseBody(z.object({ in: z.object({ id: z.array(z.string()) }) }), req.body);
    // The visible apps read once (not once per id asked for), then taken in the order asked.
    const visible = await visibleApps(db, req);
    const byRef = new Map([...visible.map((a) => [a.id, a] as const), ...visible.map((a) => [a.name, a] as const)]);
    return herokuAppsJson(ctx, req, b.in.id.flatMap((id) => { const a = byRef.get(id); return a ? [a] : []; }));
  });

  const attachmentJson = (a: App, x: AppAddon) => {
    const addon = addonJson(a, x);
    return {
      // The pg and redis commands read the add-on's plan and service from its attachment (Accept-Inclusion: addon:plan).
      id: x.id, name: x.name, namespace: null, app: { id: a.id, name: a.name },
      addon: { id: addon.id, name: addon.name, app: { id: a.id, name: a.name }, plan: addon.plan, addon_service: addon.addon_service, config_vars: addon.config_vars },
      config_vars: addon.config_vars, web_url: null, log_input_url: null, created_at: x.created_at, updated_at: x.created_at,
    };
  };
  app.get('/addon-attachments', async (req) => {
    const apps = new Map((await visibleApps(db, req)).map((a) => [a.id, a]));
    return (await listAppAddons(db)).flatMap((x) => { const a = apps.get(x.app_id); return a ? [attachmentJson(a, x)] : []; });
  });
  app.get<{ Params: { app: string } }>('/apps/:app/addon-attachments', async (req) => {
    const a = await getApp(db, req.params.app);
    return (await listAppAddons(db, a.id)).map((x) => attachmentJson(a, x));
  });

  // The add-ons of `apps`, app by app: one query for them all (one per app grew with every app visible).
  const addonsOf = async (apps: App[]): Promise<Array<readonly [App, AppAddon]>> => {
    const all = apps.length === 1 ? await listAppAddons(db, apps[0]!.id) : await listAppAddons(db);
    const byApp = new Map<string, AppAddon[]>();
    for (const x of all) byApp.set(x.app_id, [...(byApp.get(x.app_id) ?? []), x]);
    return apps.flatMap((a) => (byApp.get(a.id) ?? []).map((x) => [a, x] as const));
  };

  // addons:destroy/info name an add-on by its name, attachment or service; Heroku resolves it here.
  app.post('/actions/addons/resolve', async (req) => {
    const b = parseBody(z.object({ addon: z.string().min(1), app: z.string().nullable().optional(), addon_service: z.string().nullable().optional() }), req.body);
    const apps = (await visibleApps(db, req)).filter((a) => !b.app || a.id === b.app || a.name === b.app);
    const found = [];
    for (const [a, x] of await addonsOf(apps)) {
      const shown = addonJson(a, x);
      if ([x.id, shown.name, x.name, x.plan, x.plan.split(':')[0]].includes(b.addon) && (!b.addon_service || x.plan.startsWith(b.addon_service))) found.push(shown);
    }
    if (found.length === 0) throw fail('not_found', `Couldn't find that add-on (${b.addon})${b.app ? ` on ${b.app}` : ''}; see \`heroku addons${b.app ? ` -a ${b.app}` : ''}\`.`);
    return found;
  });
  app.post('/actions/addon-attachments/resolve', async (req) => {
    const b = parseBody(z.object({ addon_attachment: z.string().min(1), app: z.string().nullable().optional() }), req.body);
    const apps = (await visibleApps(db, req)).filter((a) => !b.app || a.id === b.app || a.name === b.app);
    const found = [];
    // By attachment name or its config var (pg commands ask for DATABASE_URL).
    for (const [a, x] of await addonsOf(apps)) if ([x.id, x.name, `${x.name}_URL`, addonJson(a, x).name].includes(b.addon_attachment)) found.push(attachmentJson(a, x));
    if (found.length === 0) throw fail('not_found', `Couldn't find that add-on attachment (${b.addon_attachment}).`);
    return found;
  });

  // addons:info lists the attachments of one add-on (by id or shown name).
  app.get<{ Params: { addon: string } }>('/addons/:addon/addon-attachments', async (req) => {
    for (const [a, x] of await addonsOf(await visibleApps(db, req))) if ([x.id, addonJson(a, x).name].includes(req.params.addon)) return [attachmentJson(a, x)];
    throw fail('not_found', `Couldn't find that add-on (${req.params.addon}); see \`heroku addons\`.`);
  });
  app.get<{ Params: { service: string } }>('/addon-services/:service/plans', async (req) => {
    const plans = ADDON_PLANS[req.params.service];
    if (!plans) throw fail('not_found', `No add-on service ${req.params.service}; Slipway provides ${Object.keys(ADDON_PLANS).join(' and ')}.`);
    return plans.map((p, i) => ({
      id: null, name: `${req.params.service}:${p}`, human_name: p, default: i === 0, state: 'public', compliance: null, installable_inside_private_network: true,
      addon_service: { name: req.params.service }, price: { cents: 0, unit: 'month', contract: false, metered: false }, description: 'A local server on the app\'s network; every plan is the same server.',
    }));
  });

  app.get<{ Params: { app: string; id: string } }>('/apps/:app/releases/:id/config-vars', async (req) => {
    const a = await getApp(db, req.params.app);
    return JSON.parse((await getRelease(db, a.id, req.params.id)).config) as Record<string, string>;
  });
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/slugs/:id', async (req) => {
    const a = await getApp(db, req.params.app);
    const s = await getSlug(db, req.params.id).catch(() => { throw fail('not_found', `No slug ${req.params.id}.`); });
    if (s.app_id !== a.id && !(await db.selectFrom('releases').select('id').where('app_id', '=', a.id).where('slug_id', '=', s.id).executeTakeFirst())) {
      throw fail('not_found', `${a.name} has no slug ${req.params.id}.`);
    }
    return {
      id: s.id, commit: s.commit, commit_description: s.commit_description, process_types: JSON.parse(s.process_types) as Record<string, string>,
      size: s.size, checksum: s.checksum, stack: { id: null, name: s.stack }, buildpack_provided_description: null, blob: null, created_at: s.created_at, updated_at: s.created_at,
    };
  });
}
