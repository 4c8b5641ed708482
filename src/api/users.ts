// Users, managed by Slipway admins (`slipway users`, `users:create`, `users:destroy`).
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod/v3';
import type { Database } from '../store/schema.js';
import { createUser, destroyUser, findUser, listUsers, type User } from '../store/users.js';
import { hashPassword, newPassword } from '../core/password.js';
import { fail } from '../core/errors.js';
import { parseBody } from './errors.js';
import { principal } from './principal.js';

const userJson = (u: User) => ({ id: u.id, email: u.email, admin: u.admin, created_at: u.created_at });
const MIN_PASSWORD = 12;

export async function userRoutes(app: FastifyInstance, db: Kysely<Database>): Promise<void> {
  app.get('/users', async () => (await listUsers(db)).map(userJson));

  app.post('/users', async (req, reply) => {
    const b = parseBody(z.object({ email: z.string().trim().email('an email address'), password: z.string().optional(), admin: z.boolean().optional() }), req.body ?? {});
    if (b.password !== undefined && b.password.length < MIN_PASSWORD) throw fail('invalid_params', `The password is too short: use at least ${MIN_PASSWORD} characters, or leave it out to have one generated.`);
    const password = b.password ?? newPassword();
    const u = await createUser(db, b.email, await hashPassword(password), !!b.admin);
    if (!u) throw fail('name_taken', `A user with the email ${b.email} already exists.`);
    // A generated password is shown once, here; a given one is never echoed.
    return reply.status(201).send({ ...userJson(u), ...(b.password === undefined ? { password } : {}) });
  });

  app.delete<{ Params: { user: string } }>('/users/:user', async (req) => {
    const u = await findUser(db, req.params.user);
    if (!u) throw fail('user_not_found', `There is no user ${req.params.user}; \`slipway users\` lists them.`);
    if (u.id === principal(req).userId) throw fail('invalid_state', 'You cannot destroy your own account; sign in as another admin.');
    await destroyUser(db, u.id);
    return userJson(u);
  });
}
