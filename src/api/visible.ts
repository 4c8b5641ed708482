// Lists show only what the principal may see: every app and pipeline for a Slipway admin, else those
// they own, reach through a team, or collaborate on (and the pipelines of those apps).
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { listApps, type App } from '../store/apps.js';
import { listPipelines, type Pipeline } from '../store/pipelines.js';
import { visibleAppIds, visiblePipelineIds } from '../store/access.js';

const seesAll = (req: FastifyRequest): boolean => !req.principal || req.principal.admin;

/** The apps this request's principal may see, by name. */
export async function visibleApps(db: Kysely<Database>, req: FastifyRequest): Promise<App[]> {
  const all = await listApps(db);
  if (seesAll(req)) return all;
  const ids = req.principal!.userId ? await visibleAppIds(db, req.principal!.userId) : new Set<string>();
  return all.filter((a) => ids.has(a.id));
}

/** The pipelines this request's principal may see, by name. */
export async function visiblePipelines(db: Kysely<Database>, req: FastifyRequest): Promise<Pipeline[]> {
  const all = await listPipelines(db);
  if (seesAll(req)) return all;
  const ids = req.principal!.userId ? await visiblePipelineIds(db, req.principal!.userId) : new Set<string>();
  return all.filter((p) => ids.has(p.id));
}
