// Where a one-off dyno runs: beside its app's private space (the local agent process, or the server
// without one) and add-on servers (the agent that runs them), as its dynos do; else on an agent chosen as dynos
// are (placement.ts: memory, the server labels), counting the room that formation dynos and other
// live one-offs already hold. No room anywhere is an error, not a wait.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Config } from '../config.js';
import { allDesiredDynos } from '../store/desired-dynos.js';
import { agentUsable, listAgents, serverAgent, spaceHosts, spacesHost } from '../store/dyno-agents.js';
import { allLiveOneOffs } from '../store/one-off-dynos.js';
import { fail } from '../core/errors.js';
import { placeDynos } from './placement.js';
import { appBinding } from './schedule-app.js';

export type OneOffPlace = { server: true } | { server: false; agentId: string };

/** placeOneOff's options as this server's configuration gives them (whether it runs one-offs itself). */
export const oneOffPlacement = (c: Pick<Config, 'embeddedRunner' | 'localAgent' | 'agentLostMs'>) =>
  ({ serverRuns: c.embeddedRunner && c.localAgent === 'in-process', serverBoundRuns: c.embeddedRunner, lostAfterMs: c.agentLostMs });

/** The server, as placement sees it: unbounded, like the embedded agent. */
const SERVER = '(server)';

/**
 * Place a one-off of `size`. `serverRuns`: this server runs dynos of apps that are not server-bound
 * itself (SLIPWAY_LOCAL_AGENT=in-process with the embedded runner), so it is a candidate too.
 */
export async function placeOneOff(db: Kysely<Database>, appId: string, size: string, o: { serverRuns: boolean; serverBoundRuns: boolean; lostAfterMs: number }): Promise<OneOffPlace> {
  const bound = await appBinding(db, appId);
  const all = await listAgents(db);
  const host = bound?.agentId ? all.find((a) => a.id === bound.agentId) : undefined;
  // The server's own agent runs the add-on servers, or the spaces (SLIPWAY_LOCAL_AGENT=in-process): the one-off runs here, as its dynos do.
  if (bound && (bound.server || (bound.agentId && (!host || serverAgent(host))) || (bound.spaces && (o.serverRuns || !all.some(spacesHost))))) {
    if (!o.serverBoundRuns) throw fail('one_off_no_room', 'This app\'s dynos need the server (a private space or add-on servers), and this server runs no dynos (SLIPWAY_EMBEDDED_RUNNER=off); run it against a server that does.');
    return { server: true };
  }
  if (host && !agentUsable(host, o.lostAfterMs)) throw fail('one_off_no_room', `Agent ${host.name}, which runs this app's add-on servers, is not online; start it (or the server that runs it), or wait for it to reconnect, and run it again.`);
  // Server-labelled rows are servers' own agents (this replica's or another's): only this process's, as SERVER, is a candidate.
  // A space's app runs only where its space's network is (the local agent process).
  const spaced = spaceHosts(all, (a) => agentUsable(a, o.lostAfterMs));
  const agents = all.filter((a) => (host ? a === host : !serverAgent(a)) && (!bound?.spaces || spaced.has(a.id)) && agentUsable(a, o.lostAfterMs));
  const placed = [
    ...(await allDesiredDynos(db)).map((r) => ({ appId: r.app_id, type: r.process_type, size: r.size, agentId: r.agent_id })),
    ...(await allLiveOneOffs(db)).map((r) => ({ appId: r.app_id, type: 'run', size: r.size, agentId: r.agent_id })),
  ];
  const candidates = [...agents.map((a) => ({ id: a.id, slots: null, memoryMb: a.memory_mb, usable: true })), ...(o.serverRuns && !host ? [{ id: SERVER, slots: null, memoryMb: null, usable: true, server: true }] : [])];
  const where = placeDynos(candidates, placed, [{ key: 'run', appId, type: 'run', size, agentBound: host?.id }]).get('run');
  if (!where && bound?.spaces && !agents.length) throw fail('one_off_no_room', 'The local agent process, which runs this host\'s private spaces, is not online; wait for the server to start it again, and run it again.');
  if (!where) {
    throw fail('one_off_no_room', agents.length
      ? `No agent has room for a ${size} one-off dyno now (${agents.length} online, each full by memory). Scale something down, add an agent (\`slipway agents:create\`), or try a smaller --size.`
      : 'No agent is online to run this one-off dyno (`slipway agents` shows them); start one, or wait for it to reconnect, and run it again.');
  }
  return where === SERVER ? { server: true } : { server: false, agentId: where };
}
