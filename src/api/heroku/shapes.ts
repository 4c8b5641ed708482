// Heroku Platform API v3 shapes for the account and apps, with the fields the heroku CLI reads
// (apps:info prints owner, region, sizes, git URL and stack from these).
import type { FastifyRequest } from 'fastify';
import type { App } from '../../store/apps.js';
import { repoSizeOf } from '../../git/repo-size.js';
import type { AppContext } from '../../app-context.js';
import { baseUrl } from '../urls.js';
import { herokuOwnerOf } from './owner.js';
import { currentReleasesOf, ownersOf } from '../../store/list-facts.js';

/** Slipway has token accounts, not users: the account's email is made from the token's name. */
export const accountEmail = (name: string): string => (name.includes('@') ? name : `${name}@slipway.local`);

export const accountJson = (actor: { id: string; name: string } | undefined) => {
  const name = actor?.name ?? 'unknown';
  return {
    id: actor?.id ?? null, email: accountEmail(name), name, allow_tracking: false, beta: false, two_factor_authentication: false, verified: true,
    default_organization: null, default_team: null, identity_provider: null, sms_number: null, suspended_at: null, delinquent_at: null,
    created_at: null, updated_at: null, last_login: null, federated: false,
  };
};

// The one region a single Slipway installation has; a fixed id keeps it stable across restarts.
export const REGION = { id: '00000000-0000-4000-8000-000000000001', name: 'local' };

/**
 * Apps as Heroku's schema names their fields, plus Slipway's own `web_url` through the router: a few
 * queries for the whole list (current releases, slug sizes, owners), not a few per app.
 */
export async function herokuAppsJson(ctx: AppContext, req: FastifyRequest, apps: App[]) {
  const db = ctx.store.db;
  const releases = await currentReleasesOf(db, apps.map((a) => a.id));
  const { teams, users } = await ownersOf(db, apps.flatMap((a) => (a.team_id ? [a.team_id] : [])), apps.flatMap((a) => (a.owner_user_id ? [a.owner_user_id] : [])));
  return Promise.all(apps.map(async (a) => {
    const release = releases.get(a.id);
    const { owner, team } = herokuOwnerOf(a, a.team_id ? teams.get(a.team_id) : undefined, a.owner_user_id ? users.get(a.owner_user_id) : undefined);
    return {
      id: a.id, name: a.name, acm: false, archived_at: null, buildpack_provided_description: null, create_status: 'complete',
      build_stack: { id: null, name: a.stack }, stack: { id: null, name: a.stack }, generation: { name: 'cedar' },
      git_url: `${baseUrl(ctx, req)}/${a.name}.git`, web_url: `http://${a.name}.${ctx.config.domain}:${ctx.config.routerPort}/`,
      internal_routing: a.space_id ? a.internal_routing === 1 : null, maintenance: a.maintenance === 1, organization: team, team,
      space: a.space_id ? { id: a.space_id, name: ctx.spaces.nameOf(a.space_id) ?? null, shield: false } : null, owner, region: REGION,
      repo_size: await repoSizeOf(db, ctx.config.dataDir, a), slug_size: release?.slug_size ?? null,
      created_at: a.created_at, updated_at: a.updated_at, released_at: release?.created_at ?? a.updated_at,
    };
  }));
}

/** One app in Heroku's shape (herokuAppsJson of one). */
export async function herokuAppJson(ctx: AppContext, req: FastifyRequest, a: App) {
  return (await herokuAppsJson(ctx, req, [a]))[0]!;
}
