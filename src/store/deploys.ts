// Deploys of a pushed commit to an app: waiting for CI, building, released or not, and why.
import type { Kysely } from 'kysely';
import type { Database, DeploysTable } from './schema.js';
import { newId, isUuid } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { DEPLOY, type DeployStatus } from '../core/deploy-status.js';
import { now } from './db.js';

export type Deploy = DeploysTable;
export type { DeployStatus };

export async function createDeploy(db: Kysely<Database>, d: Omit<Deploy, 'id' | 'created_at' | 'updated_at' | 'build_id' | 'message'>): Promise<Deploy> {
  const row: Deploy = { ...d, id: newId(), build_id: null, message: null, created_at: now(), updated_at: now() };
  await db.insertInto('deploys').values(row).execute();
  return row;
}

export async function getDeploy(db: Kysely<Database>, id: string): Promise<Deploy> {
  const d = isUuid(id) ? await db.selectFrom('deploys').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  if (!d) throw fail('not_found', `Couldn't find deploy ${id}.`);
  return d;
}

/**
 * Move a deploy from one of `from` to `to` (each a legal move of core/deploy-status, else an
 * IllegalTransition before anything is written); false if someone else moved it first.
 */
export async function moveDeploy(db: Kysely<Database>, id: string, from: DeployStatus[], to: DeployStatus, patch: { message?: string | null } = {}): Promise<boolean> {
  for (const f of from) DEPLOY.next(f, to);
  const r = await db.updateTable('deploys').set({ status: to, ...patch, updated_at: now() }).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The build a building deploy waits on (set once). */
export async function setDeployBuild(db: Kysely<Database>, id: string, buildId: string): Promise<void> {
  await db.updateTable('deploys').set({ build_id: buildId, updated_at: now() }).where('id', '=', id).where('status', '=', 'building').where('build_id', 'is', null).execute();
}

export const deploysWaitingOn = (db: Kysely<Database>, testRunId: string): Promise<Deploy[]> =>
  db.selectFrom('deploys').selectAll().where('test_run_id', '=', testRunId).where('status', '=', 'waiting').execute();

export const deployOfBuild = (db: Kysely<Database>, buildId: string): Promise<Deploy | undefined> =>
  db.selectFrom('deploys').selectAll().where('build_id', '=', buildId).executeTakeFirst();
