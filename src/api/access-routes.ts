// Accounts and access, one plugin: users, API authorizations, teams and collaborators.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { userRoutes } from './users.js';
import { authorizationRoutes } from './authorizations.js';
import { teamRoutes } from './teams.js';

export async function accessRoutes(app: FastifyInstance, db: Kysely<Database>): Promise<void> {
  await userRoutes(app, db);
  await authorizationRoutes(app, db);
  await teamRoutes(app, db);
}
