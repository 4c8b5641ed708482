// The app events Slipway publishes to app webhooks, in the shapes of Heroku's resources: releases
// (api:release) and builds (api:build) as they settle; add-on attachments, formation, domains and
// SNI endpoints are published by their API routes (publishAppEvent).
import type { AppContext } from '../app-context.js';
import type { App } from '../store/apps.js';
import type { Release } from '../store/releases.js';
import type { Build } from '../store/builds.js';
import { getApp } from '../store/apps.js';
import { publishAppEvent, type PublishPort } from './publish.js';
import { edgeEventKey } from '../store/flow-edges.js';
import type { ObservedDyno } from '../runtime/desired-state.js';

/** A release as Heroku's `release` resource (the fields a receiver reads). */
export const releaseData = (a: Pick<App, 'id' | 'name'>, r: Release): Record<string, unknown> => ({
  id: r.id, version: r.version, description: r.description, status: r.status, current: r.current === 1, slug: r.slug_id ? { id: r.slug_id } : null,
  app: { id: a.id, name: a.name }, user: r.user_name ? { email: r.user_name.includes('@') ? r.user_name : `${r.user_name}@slipway.local`, id: null } : null,
  created_at: r.created_at, updated_at: r.updated_at,
});

/** A build as Heroku's `build` resource. */
export const buildData = (a: Pick<App, 'id' | 'name'>, b: Build): Record<string, unknown> => ({
  id: b.id, status: b.status, app: { id: a.id, name: a.name }, source_blob: { version: b.source_version }, slug: b.slug_id ? { id: b.slug_id } : null,
  release: b.release_id ? { id: b.release_id } : null, created_at: b.created_at, updated_at: b.updated_at,
});

/** Publish releases and builds when they settle, once per edge (a retried follow-up publishes nothing new). */
export function registerAppWebhookEvents(ctx: PublishPort & Pick<AppContext, 'hooks'>): void {
  ctx.hooks.releaseSettled.push(async (app, release) => {
    await publishAppEvent(ctx, { appId: app.id, include: 'api:release', resource: 'release', action: 'update', data: releaseData(app, release), actor: release.user_name,
      key: edgeEventKey('release-settled', release.id, 'api:release') });
  });
  ctx.hooks.buildEnded.push(async (build) => {
    const app = await getApp(ctx.store.db, build.app_id);
    await publishAppEvent(ctx, { appId: app.id, include: 'api:build', resource: 'build', action: 'update', data: buildData(app, build), actor: build.user_name,
      key: edgeEventKey('build-ended', build.id, 'api:build') });
  });
}

/** Heroku's `dyno` event: a dyno's state as its agent reported it (starting, up, crashed, …). */
export async function publishDynoState(ctx: PublishPort, d: ObservedDyno): Promise<void> {
  const app = await getApp(ctx.store.db, d.appId).catch(() => undefined);
  if (!app) return; // destroyed meanwhile
  await publishAppEvent(ctx, {
    appId: app.id, include: 'dyno', resource: 'dyno', action: 'update',
    data: { id: d.id, name: d.name, type: d.type, state: d.state === 'stopping' || d.state === 'stopped' ? 'down' : d.state, app: { id: app.id, name: app.name }, release: { id: d.releaseId }, updated_at: d.changedAt },
  });
}
