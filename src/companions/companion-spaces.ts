// With a local agent process, that process owns this host's private spaces (bridges, firewall, DNS
// responders, dynos' namespaces), so they outlive a crash of the server as the dynos do. The server
// sends it the whole plan (every space, which apps are in which) when it changes and whenever it
// starts; the agent keeps the last plan in its data folder and adopts those spaces' bridges when it
// starts again. The server's own sandboxes in a space (CI nodes, one-offs run here) get their
// namespaces from it too.
import fs from 'node:fs';
import { z } from 'zod/v3';
import { networkTag, type DynoNet, type SpaceNetworks } from '../spaces/space-network.js';
import type { SpaceOwner, SpacePlan } from '../spaces/space-owner.js';
import type { ZoneEntry } from '../spaces/dns-zone.js';
import { postCompanion, type JsonRoute } from './companion-call.js';

const TIMEOUT_MS = 60_000;

const spec = z.object({ id: z.string(), name: z.string(), cidr: z.string(), trustedIps: z.array(z.string()), egressRules: z.array(z.object({ cidr: z.string(), port: z.number().int().optional() })) });
const plan = z.object({ spaces: z.array(spec), apps: z.array(z.object({ id: z.string(), name: z.string(), spaceId: z.string() })), fresh: z.boolean().optional() });
const attach = z.object({ spaceId: z.string(), id: z.string().regex(/^[\w-]{1,100}$/) });

/** The plan an earlier process of this agent was last sent (none: no spaces). */
export function loadPlan(file: string): SpacePlan {
  try { return plan.parse(JSON.parse(fs.readFileSync(file, 'utf8'))); } catch { return { spaces: [], apps: [] }; }
}

/** The agent's side: the space routes of its companion socket; `planFile` keeps the last plan across its restarts. */
export function spaceRoutes(spaces: SpaceNetworks, planFile: string): Record<string, JsonRoute> {
  // Namespaces the server holds for its own sandboxes: released when asked, or all when it starts again.
  const held = new Map<string, DynoNet>();
  const releaseAll = async () => { for (const [id, n] of [...held]) { held.delete(id); await n.release(); } };
  // Plans are applied one at a time, in the order they came: two applied at once would both build
  // (or take down) the same space.
  let applying: Promise<unknown> = Promise.resolve();
  return {
    '/spaces/plan': (json) => {
      const p = plan.parse(json);
      const done = applying.then(async () => {
        if (p.fresh) await releaseAll();
        // Kept before it is applied: what failed to build is tried again by the next process too.
        fs.writeFileSync(`${planFile}.tmp`, JSON.stringify({ spaces: p.spaces, apps: p.apps }), { mode: 0o600 });
        fs.renameSync(`${planFile}.tmp`, planFile);
        await spaces.apply(p);
        return {};
      });
      applying = done.catch(() => {});
      return done;
    },
    '/spaces/attach': async (json) => {
      const b = attach.parse(json);
      await held.get(b.id)?.release();
      const n = await spaces.forSpace(b.spaceId, b.id);
      held.set(b.id, n);
      return { netns: n.netns, address: n.address };
    },
    '/spaces/release': async (json) => {
      const { id } = attach.pick({ id: true }).parse(json);
      const n = held.get(id);
      held.delete(id);
      await n?.release();
      return {};
    },
    '/spaces/zone': async (json) => ({ entries: await spaces.zone(z.object({ spaceId: z.string() }).parse(json).spaceId) }),
  };
}

/** The server's side: the local agent process (data folder `agentDataDir`) owns the spaces, asked over its socket. */
export class CompanionSpaces implements SpaceOwner {
  readonly bridgePrefix: string;

  constructor(private socket: string, agentDataDir: string) {
    this.bridgePrefix = `slw${networkTag(agentDataDir)}`;
  }

  async plan(p: SpacePlan): Promise<void> { await this.post('/spaces/plan', p); }

  attach(spaceId: string, id: string): Promise<{ netns: string; address: string }> { return this.post('/spaces/attach', { spaceId, id }); }

  async release(id: string): Promise<void> { await this.post('/spaces/release', { id }); }

  async zone(spaceId: string): Promise<ZoneEntry[]> { return (await this.post<{ entries: ZoneEntry[] }>('/spaces/zone', { spaceId })).entries; }

  private post<T>(route: string, body: unknown): Promise<T> {
    return postCompanion(this.socket, route, body, { timeoutMs: TIMEOUT_MS, runs: 'this host\'s private spaces' });
  }
}
