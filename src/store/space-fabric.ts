// The private spaces as an agent allowed to run them needs them (GET /agent/v1/spaces): every
// space and which apps are in which, and its part in the fabric that joins the hosts: its slice of
// every space's range, the other spaces hosts (their advertised addresses and slices: the overlay's
// peers), and the spaces' dynos those hosts reported (their space addresses, for the resolvers).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { listSpaces, trustedIps, egressRules } from './spaces.js';
import { agentUsable, labelled, SPACES_LABEL } from './dyno-agents.js';
import { meansThisHost } from '../core/this-host-address.js';
import type { SpaceApp, SpaceFabric, SpaceSpec } from '../spaces/space-owner.js';

export interface AgentSpacePlan { spaces: SpaceSpec[]; apps: SpaceApp[]; fabric: SpaceFabric }

/** Whether an agent holds a slice of the spaces (the operator or the server allowed it to run them). */
export const runsSpaces = (a: { labels: string | null; space_slice?: number | null }): boolean => labelled(a, SPACES_LABEL) && a.space_slice != null;

/** Agent `agentId`'s plan; undefined when it does not run spaces. Peers are the other spaces hosts that are usable and advertise a routable address. */
export async function spacePlanFor(db: Kysely<Database>, agentId: string, lostAfterMs: number): Promise<AgentSpacePlan | undefined> {
  const agents = await db.selectFrom('agents').selectAll().execute();
  const self = agents.find((a) => a.id === agentId);
  if (!self || !runsSpaces(self)) return undefined;
  const peers = agents.filter((a) => a.id !== agentId && runsSpaces(a) && agentUsable(a, lostAfterMs) && a.address && !meansThisHost(a.address));
  const spaces = (await listSpaces(db)).map((s) => ({ id: s.id, name: s.name, cidr: s.cidr, trustedIps: trustedIps(s), egressRules: egressRules(s) }));
  const apps = (await db.selectFrom('apps').select(['id', 'name', 'space_id']).where('space_id', 'is not', null).orderBy('id').execute())
    .map((a) => ({ id: a.id, name: a.name, spaceId: a.space_id! }));
  const names = new Map(apps.map((a) => [a.id, a]));
  const rows = peers.length ? await db.selectFrom('observed_dynos').select(['app_id', 'process_type', 'name', 'space_address', 'agent_id'])
    .where('agent_id', 'in', peers.map((p) => p.id)).where('space_address', 'is not', null).where('state', 'in', ['starting', 'up']).orderBy('dyno_id').execute() : [];
  const zone = rows.flatMap((r) => {
    const app = names.get(r.app_id);
    const index = Number(r.name.split('.')[1]);
    return app && Number.isInteger(index) ? [{ spaceId: app.spaceId, app: app.name, process: r.process_type, index, address: r.space_address! }] : [];
  });
  return {
    spaces, apps,
    fabric: { slice: Number(self.space_slice), address: self.address ?? '', peers: peers.map((p) => ({ address: p.address!, slice: Number(p.space_slice) })).sort((a, b) => a.slice - b.slice), zone },
  };
}
