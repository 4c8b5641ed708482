// Private spaces: rows, and which apps and pipelines are placed in them.
import type { Kysely, Selectable } from 'kysely';
import type { Database, SpacesTable } from './schema.js';
import { isUuid, newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { now } from './db.js';
import type { EgressRule } from '../spaces/nft-rules.js';

export type Space = Selectable<SpacesTable>;

export const SPACE_NAME = /^[a-z][a-z0-9-]{2,29}$/;

export const trustedIps = (s: Space): string[] => JSON.parse(s.trusted_ips) as string[];
export const egressRules = (s: Space): EgressRule[] => JSON.parse(s.egress_rules) as EgressRule[];

export async function createSpace(db: Kysely<Database>, name: string, cidr: string): Promise<Space> {
  if (await db.selectFrom('spaces').select('id').where('name', '=', name).executeTakeFirst()) throw fail('name_taken', `A space named "${name}" already exists.`);
  const row = { id: newId(), name, cidr, region: 'local', shield: 0, state: 'allocated', trusted_ips: JSON.stringify(['0.0.0.0/0']), egress_rules: '[]', created_at: now(), updated_at: now() };
  await db.insertInto('spaces').values(row).execute();
  return row;
}

/** A space by name or id, or space_not_found. */
export async function getSpace(db: Kysely<Database>, nameOrId: string): Promise<Space> {
  const s = await db.selectFrom('spaces').selectAll().where(isUuid(nameOrId) ? 'id' : 'name', '=', nameOrId).executeTakeFirst();
  if (!s) throw fail('space_not_found', `Couldn't find a space named "${nameOrId}". List spaces with \`slipway spaces\`.`);
  return s;
}

export const listSpaces = (db: Kysely<Database>): Promise<Space[]> => db.selectFrom('spaces').selectAll().orderBy('name').execute();

export async function updateSpace(db: Kysely<Database>, id: string, patch: Partial<Pick<Space, 'state' | 'trusted_ips' | 'egress_rules'>>): Promise<Space> {
  await db.updateTable('spaces').set({ ...patch, updated_at: now() }).where('id', '=', id).execute();
  return getSpace(db, id);
}

export async function deleteSpace(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('pipelines').set({ ci_space_id: null }).where('ci_space_id', '=', id).execute();
  await db.deleteFrom('spaces').where('id', '=', id).execute();
}

export const appsInSpace = (db: Kysely<Database>, spaceId: string) => db.selectFrom('apps').select(['id', 'name', 'internal_routing']).where('space_id', '=', spaceId).orderBy('name').execute();

export async function placeApp(db: Kysely<Database>, appId: string, spaceId: string, internal: boolean): Promise<void> {
  await db.updateTable('apps').set({ space_id: spaceId, internal_routing: internal ? 1 : 0 }).where('id', '=', appId).execute();
}
