// Teams with their members' roles, and per-app collaborators with their permissions.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { newId, isUuid } from '../core/ids.js';
import { fail } from '../core/errors.js';
import type { Permission, Role } from '../core/access-policy.js';
import { now } from './db.js';

export interface Team { id: string; name: string; created_at: string }
type Db = Kysely<Database>;

export async function createTeam(db: Db, name: string): Promise<Team> {
  if (!/^[a-z][a-z0-9-]{1,29}$/.test(name)) throw fail('invalid_params', `Team names are 2–30 lowercase letters, digits and dashes, starting with a letter (got "${name}").`);
  const row = { id: newId(), name, created_at: now() };
  const r = await db.insertInto('teams').values(row).onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
  if (!Number(r.numInsertedOrUpdatedRows)) throw fail('name_taken', `A team named "${name}" already exists.`);
  return row;
}

/** A team by name or id, or team_not_found. */
export async function getTeam(db: Db, ref: string): Promise<Team> {
  const t = await db.selectFrom('teams').selectAll().where(isUuid(ref) ? 'id' : 'name', '=', ref).executeTakeFirst();
  if (!t) throw fail('team_not_found', `There is no team ${ref}; \`slipway teams\` lists yours.`);
  return t;
}

/** The teams a user belongs to with their role (every team, as admin, for a Slipway admin). */
export async function teamsOf(db: Db, userId: string | null, admin: boolean): Promise<(Team & { role: string })[]> {
  if (admin) return (await db.selectFrom('teams').selectAll().orderBy('name').execute()).map((t) => ({ ...t, role: 'admin' }));
  if (!userId) return [];
  return db.selectFrom('teams').innerJoin('team_members', 'team_members.team_id', 'teams.id').select(['teams.id', 'teams.name', 'teams.created_at', 'team_members.role'])
    .where('team_members.user_id', '=', userId).orderBy('teams.name').execute();
}

export async function listMembers(db: Db, teamId: string) {
  return db.selectFrom('team_members').innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['users.id', 'users.email', 'team_members.role', 'team_members.created_at']).where('team_members.team_id', '=', teamId).orderBy('users.email').execute();
}

/** Add a member or change their role. */
export async function setMember(db: Db, teamId: string, userId: string, role: Role): Promise<void> {
  await db.insertInto('team_members').values({ team_id: teamId, user_id: userId, role, created_at: now() })
    .onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet({ role })).execute();
}

export async function removeMember(db: Db, teamId: string, userId: string): Promise<boolean> {
  const r = await db.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listCollaborators(db: Db, appId: string) {
  return db.selectFrom('app_collaborators').innerJoin('users', 'users.id', 'app_collaborators.user_id')
    .select(['users.id', 'users.email', 'app_collaborators.permissions', 'app_collaborators.created_at']).where('app_collaborators.app_id', '=', appId).orderBy('users.email').execute();
}

/** Add a collaborator or replace their permissions. */
export async function setCollaborator(db: Db, appId: string, userId: string, permissions: readonly Permission[]): Promise<void> {
  const value = permissions.join(',');
  await db.insertInto('app_collaborators').values({ app_id: appId, user_id: userId, permissions: value, created_at: now() })
    .onConflict((oc) => oc.columns(['app_id', 'user_id']).doUpdateSet({ permissions: value })).execute();
}

export async function removeCollaborator(db: Db, appId: string, userId: string): Promise<boolean> {
  const r = await db.deleteFrom('app_collaborators').where('app_id', '=', appId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
