// Custom domains of apps and their SNI endpoints (certificate + key), Heroku's `domain` and
// `sni-endpoint` resources. A host name belongs to one app at most (unique in the table).
import type { Kysely } from 'kysely';
import type { Database, DomainsTable, SniEndpointsTable } from './schema.js';
import { fail } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export type Domain = DomainsTable;
export type SniEndpoint = SniEndpointsTable;

/** Add a host name to an app; a name another app holds is a conflict, never moved. */
export async function insertDomain(db: Kysely<Database>, appId: string, hostname: string, sniEndpointId: string | null): Promise<Domain> {
  const taken = await db.selectFrom('domains').select(['app_id']).where('hostname', '=', hostname).executeTakeFirst();
  if (taken) throw fail('name_taken', taken.app_id === appId ? `${hostname} is already a domain of this app.` : `${hostname} is a domain of another app: remove it there first (\`slipway domains:remove ${hostname} -a OTHER\`).`);
  const row = { id: newId(), app_id: appId, hostname, sni_endpoint_id: sniEndpointId, created_at: now(), updated_at: now() };
  await db.insertInto('domains').values(row).execute();
  return row;
}

export const listDomains = (db: Kysely<Database>, appId?: string): Promise<Domain[]> => {
  const q = db.selectFrom('domains').selectAll().orderBy('hostname');
  return (appId ? q.where('app_id', '=', appId) : q).execute();
};

export async function getDomain(db: Kysely<Database>, appId: string, ref: string): Promise<Domain> {
  const d = await db.selectFrom('domains').selectAll().where('app_id', '=', appId).where((eb) => eb.or([eb('id', '=', ref), eb('hostname', '=', ref.toLowerCase())])).executeTakeFirst();
  if (!d) throw fail('not_found', `This app has no domain ${ref}. List them with \`slipway domains\`.`);
  return d;
}

export async function setDomainEndpoint(db: Kysely<Database>, id: string, sniEndpointId: string | null): Promise<void> {
  await db.updateTable('domains').set({ sni_endpoint_id: sniEndpointId, updated_at: now() }).where('id', '=', id).execute();
}

export async function deleteDomain(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('domains').where('id', '=', id).execute();
}

export async function insertSniEndpoint(db: Kysely<Database>, e: Pick<SniEndpoint, 'app_id' | 'name' | 'certificate_chain' | 'private_key'>): Promise<SniEndpoint> {
  const row = { ...e, id: newId(), created_at: now(), updated_at: now() };
  await db.insertInto('sni_endpoints').values(row).execute();
  return row;
}

export const listSniEndpoints = (db: Kysely<Database>, appId?: string): Promise<SniEndpoint[]> => {
  const q = db.selectFrom('sni_endpoints').selectAll().orderBy('created_at');
  return (appId ? q.where('app_id', '=', appId) : q).execute();
};

export async function getSniEndpoint(db: Kysely<Database>, appId: string, ref: string): Promise<SniEndpoint> {
  const e = await db.selectFrom('sni_endpoints').selectAll().where('app_id', '=', appId).where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)])).executeTakeFirst();
  if (!e) throw fail('not_found', `This app has no certificate ${ref}. List them with \`slipway certs\`.`);
  return e;
}

/** Remove a certificate; its domains are served without one (plain HTTP only). */
export async function deleteSniEndpoint(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('domains').set({ sni_endpoint_id: null, updated_at: now() }).where('sni_endpoint_id', '=', id).execute();
  await db.deleteFrom('sni_endpoints').where('id', '=', id).execute();
}
