// Who owns a new app or pipeline: its creator, and the team named in the request body (the access
// guard has checked the creator may create in that team).
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { isUuid } from '../core/ids.js';

/** Record the creator (and the body's `team`, if any) as owner of a just-created app or pipeline. */
export async function claimOwnership(db: Kysely<Database>, table: 'apps' | 'pipelines', id: string, req: FastifyRequest): Promise<void> {
  const given = (req.body as { team?: unknown } | undefined)?.team;
  const ref = typeof given === 'string' ? given : (given as { name?: string; id?: string } | undefined)?.id ?? (given as { name?: string } | undefined)?.name;
  const team = ref ? await db.selectFrom('teams').select('id').where(isUuid(ref) ? 'id' : 'name', '=', ref).executeTakeFirst() : undefined;
  await db.updateTable(table).set({ owner_user_id: req.principal?.userId ?? null, team_id: team?.id ?? null }).where('id', '=', id).execute();
}
