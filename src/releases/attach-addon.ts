// Provision an add-on for an app and set its `<NAME>_URL` config var (the caller decides whether
// that is a release: the API makes one; a review app's first build picks the var up itself).
import type { App } from '../store/apps.js';
import { getApp, patchConfigVars } from '../store/apps.js';
import { releaseConfigChange } from './deploy.js';
import { insertAppAddon, listAppAddons, type AppAddon } from '../store/app-addons.js';
import { resolveAddonPlan } from '../addons/addon-spec.js';
import { newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';
import { appendAppLog } from './app-log.js';
import { scheduleApp } from '../scheduler/schedule-app.js';

/**
 * Start an app's add-on after a restart (nothing when its host still runs it); if it could not have
 * its old address, its URL and config var follow (in a new release); if it runs on another agent than before (the
 * local agent setting changed), the app's dynos are placed again beside it.
 */
export async function restartAddon(ctx: AppContext, addon: AppAddon): Promise<void> {
  const agentId = await ctx.appAddons.agentId();
  // Replicas on one Postgres: an add-on another replica's agent runs is that replica's to start.
  if (agentId && addon.agent_id && addon.agent_id !== agentId) return;
  const moved = await ctx.appAddons.startForApp(addon, await ctx.tenants.forAddons('app', addon.app_id));
  if (agentId !== addon.agent_id) {
    await ctx.store.db.updateTable('app_addons').set({ agent_id: agentId }).where('id', '=', addon.id).execute();
    await scheduleApp(ctx.store.db, addon.app_id);
  }
  if (!moved) return;
  await ctx.store.db.updateTable('app_addons').set({ url: moved }).where('id', '=', addon.id).execute();
  await patchConfigVars(ctx.store.db, addon.app_id, { [`${addon.name}_URL`]: moved });
  appendAppLog(ctx.logs, addon.app_id, 'app[api]', `${addon.name}_URL changed: the add-on now listens on the default network at ${new URL(moved).host}`);
  // Dynos take their config from their release: a new one gives them the new URL (as a config change does).
  await releaseConfigChange(ctx, await getApp(ctx.store.db, addon.app_id), `${addon.name}_URL changed: the add-on moved`);
}

export async function attachAddon(ctx: AppContext, a: App, plan: string, as?: string): Promise<AppAddon> {
  const db = ctx.store.db;
  const r = resolveAddonPlan(plan, as);
  if (!r.ok) throw fail('invalid_params', r.message);
  if ((await listAppAddons(db, a.id)).some((x) => x.name === r.addon.name)) {
    throw fail('conflict', `${a.name} already has an add-on attached as ${r.addon.name}_URL; pass another name with --as.`);
  }
  const id = newId();
  const made = await ctx.appAddons.provisionForApp(id, r.addon, a.id, await ctx.tenants.forAddons('app', a.id)).catch((e: Error) => { throw fail('invalid_state', `Could not provision ${plan}: ${e.message}`); });
  const row = await insertAppAddon(db, { id, app_id: a.id, name: r.addon.name, plan, service: r.addon.service, provider: made.provider, port: made.port, url: made.url, database: made.database, agent_id: await ctx.appAddons.agentId() });
  await patchConfigVars(db, a.id, { [`${row.name}_URL`]: row.url });
  appendAppLog(ctx.logs, a.id, 'app[api]', `Provisioned ${plan} as ${row.name}_URL`);
  return row;
}
