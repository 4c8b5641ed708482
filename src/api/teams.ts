// Teams, their members and per-app collaborators in the Platform API's shapes (`heroku teams`,
// `members`, `members:add/set/remove`, `access`, `access:add/update/remove`).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod/v3';
import type { Database } from '../store/schema.js';
import { createTeam, getTeam, listCollaborators, listMembers, removeCollaborator, removeMember, setCollaborator, setMember, teamsOf } from '../store/teams.js';
import { findUser } from '../store/users.js';
import { getApp } from '../store/apps.js';
import { normalizePermissions, PERMISSIONS, ROLES, type Permission, type Role } from '../core/access-policy.js';
import { fail } from '../core/errors.js';
import { parseBody } from './errors.js';
import { principal } from './principal.js';
import { callApiAs } from './internal-call.js';

const PERMISSION_TEXT: Record<Permission, string> = {
  view: 'See the app, its releases, dynos, logs and add-ons.',
  deploy: 'Deploy (builds, releases, git push, promotions), run one-off dynos, read config vars, start test runs.',
  operate: 'Scale, restart and stop dynos.',
  manage: 'Change config vars, add-ons, domains, webhooks, collaborators; rename or delete the app.',
};
const permissionsJson = (ps: readonly Permission[]) => ps.map((name) => ({ name, description: PERMISSION_TEXT[name] }));
// Personal apps' collaborators get what Heroku's get, short of managing the app (add `manage` explicitly).
const DEFAULT_COLLABORATOR: Permission[] = ['view', 'deploy', 'operate'];

async function userOrFail(db: Kysely<Database>, ref: string) {
  const u = await findUser(db, ref);
  if (!u) throw fail('user_not_found', `There is no user ${ref}; a Slipway admin creates users with \`slipway users:create ${ref}\`.`);
  return u;
}

const teamJson = (t: { id: string; name: string; created_at: string; role?: string }) => ({
  id: t.id, name: t.name, role: t.role ?? null, type: 'team', created_at: t.created_at, updated_at: t.created_at, default: false, membership_limit: null, identity_provider: null,
});

function roleOf(given: string): Role {
  if (!(ROLES as readonly string[]).includes(given)) throw fail('invalid_params', `Unknown role "${given}": Slipway's team roles are ${ROLES.join(', ')}.`);
  return given as Role;
}

export async function teamRoutes(app: FastifyInstance, db: Kysely<Database>): Promise<void> {
  app.get('/teams', async (req) => { const who = principal(req); return (await teamsOf(db, who.userId, who.admin)).map(teamJson); });
  app.post('/teams', async (req, reply) => {
    const b = parseBody(z.object({ name: z.string().trim() }).passthrough(), req.body ?? {});
    return reply.status(201).send(teamJson(await createTeam(db, b.name)));
  });
  app.get('/teams/permissions', async () => permissionsJson(PERMISSIONS));
  app.get<{ Params: { team: string } }>('/teams/:team', async (req) => teamJson(await getTeam(db, req.params.team)));
  // Access controls per app are always on; invitations are not a thing here (members are added directly).
  app.get<{ Params: { team: string } }>('/teams/:team/features', async () => [{ name: 'org-access-controls', enabled: true, description: 'Per-app permissions for team members.' }]);
  app.get<{ Params: { team: string } }>('/teams/:team/invitations', async () => []);
  app.get<{ Params: { team: string } }>('/teams/:team/members', async (req) => {
    const t = await getTeam(db, req.params.team);
    return (await listMembers(db, t.id)).map((m) => ({
      id: m.id, email: m.email, role: m.role, user: { id: m.id, email: m.email, name: null }, federated: false, two_factor_authentication: false, created_at: m.created_at, updated_at: m.created_at,
    }));
  });
  const putMember = async (req: FastifyRequest<{ Params: { team: string } }>) => {
    const t = await getTeam(db, req.params.team);
    const b = parseBody(z.object({ email: z.string().trim().min(1), role: z.string() }).passthrough(), req.body ?? {});
    const u = await userOrFail(db, b.email);
    await setMember(db, t.id, u.id, roleOf(b.role));
    return { id: u.id, email: u.email, role: b.role, user: { id: u.id, email: u.email } };
  };
  app.put<{ Params: { team: string } }>('/teams/:team/members', putMember);
  app.patch<{ Params: { team: string } }>('/teams/:team/members', putMember);
  app.delete<{ Params: { team: string; user: string } }>('/teams/:team/members/:user', async (req) => {
    const t = await getTeam(db, req.params.team);
    const u = await userOrFail(db, req.params.user);
    if (!(await removeMember(db, t.id, u.id))) throw fail('not_found', `${u.email} is not a member of ${t.name}.`);
    return { id: u.id, email: u.email };
  });

  const listCollab = async (req: FastifyRequest<{ Params: { app: string } }>) => {
    const a = await getApp(db, req.params.app);
    const owner = a.owner_user_id && !a.team_id ? await db.selectFrom('users').select(['id', 'email']).where('id', '=', a.owner_user_id).executeTakeFirst() : undefined;
    const rows = (await listCollaborators(db, a.id)).map((c) => ({ ...c, role: 'collaborator', permissions: normalizePermissions(c.permissions.split(',')) ?? [] }));
    return [...(owner ? [{ ...owner, role: 'owner', permissions: [...PERMISSIONS], created_at: a.created_at }] : []), ...rows].map((c) => ({
      id: c.id, app: { id: a.id, name: a.name }, role: c.role, permissions: permissionsJson(c.permissions), created_at: c.created_at, updated_at: c.created_at,
      user: { id: c.id, email: c.email, federated: false },
    }));
  };
  const addCollab = async (req: FastifyRequest<{ Params: { app: string; user?: string } }>, reply: import('fastify').FastifyReply) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(z.object({ user: z.string().trim().min(1).optional(), permissions: z.array(z.string()).optional() }).passthrough(), req.body ?? {});
    const ref = req.params.user ?? b.user;
    if (!ref) throw fail('invalid_params', 'Name the user to add: { "user": "EMAIL" }.');
    const u = await userOrFail(db, ref);
    const permissions = b.permissions ? normalizePermissions(b.permissions) : DEFAULT_COLLABORATOR;
    if (!permissions) throw fail('invalid_params', `Unknown permission in ${b.permissions!.join(',')}: use ${PERMISSIONS.join(', ')}.`);
    await setCollaborator(db, a.id, u.id, permissions);
    return reply.status(req.method === 'POST' ? 201 : 200).send({ id: u.id, app: { id: a.id, name: a.name }, role: 'collaborator', permissions: permissionsJson(permissions), user: { id: u.id, email: u.email, federated: false } });
  };
  const removeCollab = async (req: FastifyRequest<{ Params: { app: string; user: string } }>) => {
    const a = await getApp(db, req.params.app);
    const u = await userOrFail(db, req.params.user);
    if (!(await removeCollaborator(db, a.id, u.id))) throw fail('not_found', `${u.email} is not a collaborator on ${a.name}.`);
    return { id: u.id, app: { id: a.id, name: a.name }, user: { id: u.id, email: u.email } };
  };
  for (const prefix of ['', '/teams']) {
    app.get<{ Params: { app: string } }>(`${prefix}/apps/:app/collaborators`, listCollab);
    app.post<{ Params: { app: string } }>(`${prefix}/apps/:app/collaborators`, addCollab);
    app.delete<{ Params: { app: string; user: string } }>(`${prefix}/apps/:app/collaborators/:user`, removeCollab);
  }
  app.patch<{ Params: { app: string; user: string } }>('/teams/apps/:app/collaborators/:user', addCollab);
  // `heroku apps:create --team T` posts here: the same as POST /apps, as the same principal.
  app.post('/teams/apps', async (req, reply) => {
    const r = await callApiAs(app, principal(req).tokenId, 'POST', '/apps', req.body ?? {});
    return reply.status(r.status).send(r.body);
  });
}
