// What a user may do with an app or a pipeline, from the store: ownership, team roles and per-app
// collaborator grants (the rule that turns these into allowed actions is core/access-policy.ts).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { PERMISSIONS, ROLES, rolePermissions, type Permission, type Role } from '../core/access-policy.js';

const union = (...lists: (readonly Permission[])[]): Permission[] => PERMISSIONS.filter((p) => lists.some((l) => l.includes(p)));
const asRole = (r: string | undefined): Role | undefined => (ROLES as readonly string[]).includes(r ?? '') ? r as Role : undefined;
const asPermissions = (s: string): Permission[] => PERMISSIONS.filter((p) => s.split(',').includes(p));

export interface Owned { owner_user_id?: string | null; team_id?: string | null }

async function ownerPermissions(db: Kysely<Database>, userId: string, owned: Owned): Promise<readonly Permission[]> {
  if (owned.owner_user_id === userId) return PERMISSIONS;
  if (!owned.team_id) return [];
  return teamPermissions(db, userId, owned.team_id);
}

/** The user's role in a team, if a member. */
export async function teamRole(db: Kysely<Database>, userId: string, teamId: string): Promise<Role | undefined> {
  const m = await db.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return asRole(m?.role);
}

async function teamPermissions(db: Kysely<Database>, userId: string, teamId: string): Promise<readonly Permission[]> {
  const role = await teamRole(db, userId, teamId);
  return role ? rolePermissions(role) : [];
}

/** The user's permissions on an app: owner, team role and collaborator grant together. */
export async function appPermissions(db: Kysely<Database>, userId: string, app: Owned & { id: string }): Promise<Permission[]> {
  const c = await db.selectFrom('app_collaborators').select('permissions').where('app_id', '=', app.id).where('user_id', '=', userId).executeTakeFirst();
  return union(await ownerPermissions(db, userId, app), c ? asPermissions(c.permissions) : []);
}

/** The user's permissions on a pipeline: owner and team role, plus view and deploy from any app coupled to it. */
export async function pipelinePermissions(db: Kysely<Database>, userId: string, pipeline: Owned & { id: string }): Promise<Permission[]> {
  const apps = await db.selectFrom('pipeline_couplings').innerJoin('apps', 'apps.id', 'pipeline_couplings.app_id')
    .select(['apps.id', 'apps.owner_user_id', 'apps.team_id']).where('pipeline_couplings.pipeline_id', '=', pipeline.id).execute();
  // Through its apps a user may see the pipeline and run its tests, never manage or operate the pipeline itself.
  const perApp = (await Promise.all(apps.map((a) => appPermissions(db, userId, a)))).map((ps) => ps.filter((x) => x === 'view' || x === 'deploy'));
  return union(await ownerPermissions(db, userId, pipeline), ...perApp);
}

/** The ids of apps the user can see (owner, team member of any role, collaborator). */
export async function visibleAppIds(db: Kysely<Database>, userId: string): Promise<Set<string>> {
  const teams = db.selectFrom('team_members').select('team_id').where('user_id', '=', userId);
  const rows = await db.selectFrom('apps').select('id').where((eb) => eb.or([
    eb('owner_user_id', '=', userId), eb('team_id', 'in', teams),
    eb('id', 'in', db.selectFrom('app_collaborators').select('app_id').where('user_id', '=', userId)),
  ])).execute();
  return new Set(rows.map((r) => r.id));
}

/** The ids of pipelines the user can see: their own, their teams', and those of apps they can see. */
export async function visiblePipelineIds(db: Kysely<Database>, userId: string): Promise<Set<string>> {
  const apps = [...await visibleAppIds(db, userId)];
  const teams = db.selectFrom('team_members').select('team_id').where('user_id', '=', userId);
  const rows = await db.selectFrom('pipelines').select('id').where((eb) => eb.or([
    eb('owner_user_id', '=', userId), eb('team_id', 'in', teams),
    ...(apps.length ? [eb('id', 'in', db.selectFrom('pipeline_couplings').select('pipeline_id').where('app_id', 'in', apps))] : []),
  ])).execute();
  return new Set(rows.map((r) => r.id));
}

/** Give an app the owner and team of the pipeline that made it (review apps, made by a webhook). */
export async function inheritOwnership(db: Kysely<Database>, appId: string, from: Owned): Promise<void> {
  await db.updateTable('apps').set({ owner_user_id: from.owner_user_id ?? null, team_id: from.team_id ?? null }).where('id', '=', appId).execute();
}
