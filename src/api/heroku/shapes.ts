// Heroku Platform API v3 shapes for the account and apps, with the fields the heroku CLI reads
// (apps:info prints owner, region, sizes, git URL and stack from these).
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { App } from '../../store/apps.js';
import { currentRelease } from '../../store/releases.js';
import { repoPath } from '../../git/repos.js';
import type { AppContext } from '../../app-context.js';
import { baseUrl } from '../urls.js';
import { herokuOwner } from './owner.js';

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

function dirSize(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.isFile()) total += fs.statSync(p).size;
    }
  };
  try { walk(dir); } catch { /* no repository yet: size 0 */ }
  return total;
}

/** An app as Heroku's schema names its fields, plus Slipway's own `web_url` through the router. */
export async function herokuAppJson(ctx: AppContext, req: FastifyRequest, a: App) {
  const release = await currentRelease(ctx.store.db, a.id);
  const slug = release?.slug_id ? await ctx.store.db.selectFrom('slugs').select(['size']).where('id', '=', release.slug_id).executeTakeFirst() : undefined;
  const { owner, team } = await herokuOwner(ctx.store.db, a);
  return {
    id: a.id, name: a.name, acm: false, archived_at: null, buildpack_provided_description: null, create_status: 'complete',
    build_stack: { id: null, name: a.stack }, stack: { id: null, name: a.stack }, generation: { name: 'cedar' },
    git_url: `${baseUrl(ctx, req)}/${a.name}.git`, web_url: `http://${a.name}.${ctx.config.domain}:${ctx.config.routerPort}/`,
    internal_routing: a.space_id ? a.internal_routing === 1 : null, maintenance: a.maintenance === 1, organization: team, team,
    space: a.space_id ? { id: a.space_id, name: ctx.spaces.nameOf(a.space_id) ?? null, shield: false } : null, owner, region: REGION,
    repo_size: dirSize(repoPath(ctx.config.dataDir, a.id)), slug_size: slug?.size ?? null,
    created_at: a.created_at, updated_at: a.updated_at, released_at: release?.created_at ?? a.updated_at,
  };
}
