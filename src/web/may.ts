// What the signed-in principal may do on the app or pipeline a page shows, so a page offers only the
// controls its viewer may use (the access guard refuses the forms anyway: this is what they see).
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { PERMISSIONS, allowed, type Action, type Permission } from '../core/access-policy.js';
import { appPermissions, pipelinePermissions, type Owned } from '../store/access.js';
import { principal } from '../api/principal.js';

export type May = (action: Action) => boolean;

export async function mayOn(db: Kysely<Database>, req: FastifyRequest, kind: 'app' | 'pipeline', row: Owned & { id: string }): Promise<May> {
  const who = principal(req);
  const permissions: readonly Permission[] = who.admin ? PERMISSIONS : !who.userId ? [] : kind === 'app' ? await appPermissions(db, who.userId, row) : await pipelinePermissions(db, who.userId, row);
  return (action) => allowed({ admin: who.admin, permissions, scopes: who.scopes }, action);
}
