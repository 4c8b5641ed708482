// The access check every API route, git request and dashboard page passes (one preHandler for all,
// driven by access-rules.ts): resolve what the route acts on, then ask the policy. No access at all
// to an app or pipeline answers 404, as Heroku does; access without the needed permission, 403.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { allowed, PERMISSIONS, rolePermissions, visible, type Action, type Permission } from '../core/access-policy.js';
import { fail, type ErrorId } from '../core/errors.js';
import { appPermissions, pipelinePermissions, teamRole, type Owned } from '../store/access.js';
import { isUuid } from '../core/ids.js';
import { ruleFor, type Rule } from './access-rules.js';
import type { Principal } from './principal.js';

type Db = Kysely<Database>;
interface Target { kind: 'app' | 'pipeline' | 'team'; row: Owned & { id: string; name: string } }

const byRef = (ref: string) => (isUuid(ref) ? 'id' : 'name') as 'id' | 'name';
const findApp = (db: Db, ref: string) => db.selectFrom('apps').select(['id', 'name', 'owner_user_id', 'team_id']).where(byRef(ref), '=', ref).executeTakeFirst();
const findPipeline = (db: Db, ref: string) => db.selectFrom('pipelines').select(['id', 'name', 'owner_user_id', 'team_id']).where(byRef(ref), '=', ref).executeTakeFirst();
const bodyRef = (v: unknown): string | undefined => (typeof v === 'string' ? v : v && typeof v === 'object' ? (v as { id?: string; name?: string }).id ?? (v as { name?: string }).name : undefined);

async function findAddonApp(db: Db, ref: string) {
  const rows = await db.selectFrom('app_addons').select(['id', 'app_id', 'plan']).execute();
  const x = rows.find((r) => r.id === ref || `${r.plan.split(':')[0]}-${r.id.slice(0, 8)}` === ref);
  return x ? findApp(db, x.app_id) : undefined;
}

/** The apps and pipelines (and teams) a rule acts on; undefined entries were not found (the route answers that). */
async function targetsOf(db: Db, req: FastifyRequest, rule: Rule): Promise<(Target | undefined)[]> {
  const p = (req.params ?? {}) as Record<string, string>;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const asApp = async (ref: string | undefined) => { const r = ref ? await findApp(db, ref) : undefined; return r && { kind: 'app' as const, row: r }; };
  const asPipe = async (ref: string | undefined) => { const r = ref ? await findPipeline(db, ref) : undefined; return r && { kind: 'pipeline' as const, row: r }; };
  const param = 'param' in rule && rule.param ? p[rule.param] ?? '' : '';
  switch (rule.on) {
    case 'app': return [await asApp(param)];
    case 'repo': return [await asApp(param.replace(/\.git$/, ''))];
    case 'pipeline': return [await asPipe(param)];
    case 'addon': { const r = await findAddonApp(db, param); return [r && { kind: 'app', row: r }]; }
    case 'team': { const r = await db.selectFrom('teams').select(['id', 'name']).where(byRef(param), '=', param).executeTakeFirst(); return [r && { kind: 'team', row: r }]; }
    case 'test-run': {
      const r = isUuid(param) ? await db.selectFrom('test_runs').select('pipeline_id').where('id', '=', param).executeTakeFirst() : undefined;
      return [await asPipe(r?.pipeline_id)];
    }
    case 'coupling': {
      const r = isUuid(param) ? await db.selectFrom('pipeline_couplings').select('app_id').where('id', '=', param).executeTakeFirst() : undefined;
      return [await asApp(r?.app_id)];
    }
    case 'promotion': {
      const r = isUuid(param) ? await db.selectFrom('pipeline_promotions').select('pipeline_id').where('id', '=', param).executeTakeFirst() : undefined;
      return [await asPipe(r?.pipeline_id)];
    }
    case 'test-run-body': return [await asPipe(bodyRef(body['pipeline']))];
    case 'coupling-body': return [await asPipe(bodyRef(body['pipeline'])), await asApp(bodyRef(body['app']))];
    case 'promotion-body': {
      const targets = Array.isArray(body['targets']) ? (body['targets'] as { app?: unknown }[]).map((t) => bodyRef(t?.app)) : undefined;
      return targets ? Promise.all(targets.map(asApp)) : appsOfPipeline(db, bodyRef(body['pipeline']), bodyRef((body['source'] as { app?: unknown } | undefined)?.app));
    }
    case 'pipeline-apps': return appsOfPipeline(db, param);
    case 'new': {
      const team = bodyRef(body['team']);
      if (!team) return [];
      const r = await db.selectFrom('teams').select(['id', 'name']).where(byRef(team), '=', team).executeTakeFirst();
      if (!r) throw fail('team_not_found', `There is no team ${team}; \`slipway teams\` lists yours.`);
      return [{ kind: 'team', row: r }];
    }
    default: return [];
  }
}

// A promotion without explicit targets may reach any other app of the pipeline: the promoter needs deploy on all of them.
async function appsOfPipeline(db: Db, ref: string | undefined, except?: string): Promise<(Target | undefined)[]> {
  const pl = ref ? await findPipeline(db, ref) : undefined;
  if (!pl) return [undefined];
  const apps = await db.selectFrom('pipeline_couplings').innerJoin('apps', 'apps.id', 'pipeline_couplings.app_id')
    .select(['apps.id', 'apps.name', 'apps.owner_user_id', 'apps.team_id']).where('pipeline_couplings.pipeline_id', '=', pl.id).execute();
  return [{ kind: 'pipeline', row: pl }, ...apps.filter((a) => a.id !== except && a.name !== except).map((a) => ({ kind: 'app' as const, row: a }))];
}

async function permissionsOn(db: Db, who: Principal, t: Target): Promise<readonly Permission[]> {
  if (who.admin) return PERMISSIONS;
  if (!who.userId) return [];
  if (t.kind === 'app') return appPermissions(db, who.userId, t.row);
  if (t.kind === 'pipeline') return pipelinePermissions(db, who.userId, t.row);
  const role = await teamRole(db, who.userId, t.row.id);
  return role ? rolePermissions(role) : [];
}

const NOT_FOUND: Record<Target['kind'], ErrorId> = { app: 'app_not_found', pipeline: 'pipeline_not_found', team: 'team_not_found' };

/** Throws the refusal the principal gets for `rule` on this request, or returns when allowed. */
export async function checkAccess(db: Db, who: Principal, req: FastifyRequest, rule: Rule | undefined): Promise<void> {
  if (rule?.on === 'anyone') return;
  const action: Action = rule ? rule.action : 'admin';
  // Git asks info/refs?service=git-receive-pack before a push: that is the push.
  const wanted: Action = rule?.on === 'repo' && (req.query as Record<string, string>)?.['service'] === 'git-receive-pack' ? 'deploy' : action;
  if (!allowed({ admin: true, permissions: PERMISSIONS, scopes: who.scopes }, wanted)) {
    throw fail('insufficient_scope', `This authorization (scopes: ${who.scopes.join(',') || 'none'}) cannot ${wanted === 'admin' ? 'use this admin route' : `${wanted} here`}. Create one with the scope it needs: \`slipway authorizations:create --scope ${wanted.startsWith('test') ? 'ci' : wanted === 'deploy' ? 'deploy' : 'write'}\`.`);
  }
  if (!rule || rule.on === 'self') {
    if (action === 'admin' && !who.admin) throw fail('admin_only');
    return;
  }
  for (const t of await targetsOf(db, req, rule)) {
    if (!t) continue; // not there at all: the route says so in its own words
    const permissions = await permissionsOn(db, who, t);
    if (!visible({ admin: who.admin, permissions })) throw fail(NOT_FOUND[t.kind], `Couldn't find that ${t.kind} (${t.row.name}).`);
    if (!allowed({ admin: who.admin, permissions, scopes: who.scopes }, wanted)) {
      throw fail('permission_denied', `Your access to ${t.kind} ${t.row.name} (${permissions.join(', ')}) does not include ${wanted.replace('test:run', 'deploy')}; ask its owner or a team admin to grant it.`);
    }
  }
}

/** Check every authenticated request against its route's rule before the handler runs. */
export function registerAccessGuard(app: FastifyInstance, db: Db): void {
  app.addHook('preHandler', async (req) => {
    // No principal: a public route, an agent route or a signed URL, each with its own proof.
    if (!req.principal || !req.routeOptions.url) return;
    await checkAccess(db, req.principal, req, ruleFor(req.method, req.routeOptions.url));
  });
}
