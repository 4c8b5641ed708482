// An agent the operator allowed to run private spaces reads them over the protocol (GET
// /agent/v1/spaces, long-polled like its dynos): every space and which apps are in which, and its
// part in the overlay that joins the spaces hosts (its slice of each range, its peers, their
// dynos). It builds them as the local agent process does from the server's companion plan; the
// local agent takes only its part in the overlay from here. Both are kept in the data folder, so
// a new process of the agent builds the same spaces (and adopts their bridges) before the server answers.
import fs from 'node:fs';
import { z } from 'zod/v3';
import type { SpaceNetworks } from '../spaces/space-network.js';
import type { SpaceFabric } from '../spaces/space-owner.js';
import type { AgentClient } from './client.js';
import { AgentHttpError } from './client.js';
import { sleep } from '../core/sleep.js';

const fabric = z.object({
  slice: z.number().int().min(0), address: z.string(),
  peers: z.array(z.object({ address: z.string(), slice: z.number().int().min(0) })),
  zone: z.array(z.object({ spaceId: z.string(), app: z.string(), process: z.string(), index: z.number().int(), address: z.string() })),
});

/** The part in the overlay an earlier process of this agent was last sent, if any. */
export function loadFabric(file: string): SpaceFabric | undefined {
  try { return fabric.parse(JSON.parse(fs.readFileSync(file, 'utf8'))); } catch { return undefined; }
}

const save = (file: string, value: unknown) => {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
};

/** Follow the spaces' plan until `stop`: each change applied (what failed is said, and tried again at the next change or in 10 s). */
export async function followSpaces(o: { client: Pick<AgentClient, 'spacesPlan'>; spaces: Pick<SpaceNetworks, 'apply' | 'setFabric'>; planFile: string; fabricFile: string; log(line: string): void; stop: AbortSignal }): Promise<void> {
  let etag: string | undefined;
  let said = '';
  const once = (line: string) => { if (line !== said) o.log(line); said = line; };
  for (let wait = 500; !o.stop.aborted;) {
    try {
      const r = await o.client.spacesPlan(etag, 20_000, o.stop);
      wait = 500;
      if (!r || o.stop.aborted) continue;
      save(o.fabricFile, r.fabric);
      // The local agent's spaces come from the server beside it (its companion socket), whole; a remote agent's from here.
      if (!r.local) save(o.planFile, { spaces: r.spaces, apps: r.apps });
      // The slice first: the spaces built next hand out addresses from it.
      const problems: string[] = [];
      await o.spaces.setFabric(r.fabric).catch((e: Error) => { problems.push(e.message); });
      if (!r.local) await o.spaces.apply({ spaces: r.spaces, apps: r.apps }).catch((e: Error) => { problems.push(e.message); });
      if (problems.length) { once(`private spaces: ${problems.join('; ')}`); await sleep(10_000, o.stop); continue; }
      said = '';
      etag = r.etag;
    } catch (e) {
      if (o.stop.aborted) return;
      // Not allowed (any more): nothing to follow.
      if (e instanceof AgentHttpError && e.id === 'agent_not_spaces') { o.log(`private spaces: ${e.message}`); return; }
      once(`private spaces: reading the plan: ${(e as Error).message}`);
      await sleep(wait, o.stop);
      wait = Math.min(30_000, wait * 2);
    }
  }
}
