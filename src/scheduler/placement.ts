// Which agent runs each dyno: a pure decision over the agents' capacity and what is already placed.
// An app's dynos of one process type are spread over agents (web.1 and web.2 on different hosts
// when there are two), a dyno stays where it is while its agent is usable, and no agent gets more
// dynos (slots) or more memory (the sizes' quotas) than it declared.
import { dynoSize } from '../core/dyno-size.js';

/**
 * An agent as placement sees it; slots/memoryMb null = unbounded (the embedded agent). `server`:
 * the server's own agent, which can run server-bound dynos; `spaces`: it runs this host's private
 * spaces' networks (the local agent process, or the server's own agent without one).
 */
export interface AgentCapacity { id: string; slots: number | null; memoryMb: number | null; usable: boolean; server?: boolean; spaces?: boolean }

/** A dyno that already holds room on an agent (other apps' dynos, and this app's that stay). */
export interface PlacedDyno { appId: string; type: string; size: string; agentId: string | null }

/**
 * A dyno to place; `prefer` is where its predecessor ran (kept when it still fits); `serverBound`:
 * its app needs what lives in the server process (add-on servers made there); `agentBound`: the
 * agent whose host runs its app's add-on servers (elsewhere the dyno could not reach them); `spaceBound`:
 * its app is in a private space, whose network only an agent with `spaces` runs.
 */
export interface DynoToPlace { key: string; appId: string; type: string; size: string; prefer?: string | null; serverBound?: boolean; agentBound?: string; spaceBound?: boolean }

interface Load { slots: number; memoryMb: number; byApp: Map<string, number>; byType: Map<string, number> }

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** Agent per dyno key (null: no usable agent has room for it). */
export function placeDynos(agents: readonly AgentCapacity[], placed: readonly PlacedDyno[], wanted: readonly DynoToPlace[]): Map<string, string | null> {
  const usable = agents.filter((a) => a.usable).sort((a, b) => a.id.localeCompare(b.id));
  const load = new Map<string, Load>(usable.map((a) => [a.id, { slots: 0, memoryMb: 0, byApp: new Map(), byType: new Map() }]));
  const add = (agentId: string, d: { appId: string; type: string; size: string }) => {
    const l = load.get(agentId);
    if (!l) return;
    l.slots++;
    l.memoryMb += dynoSize(d.size).quotaMb;
    bump(l.byApp, d.appId);
    bump(l.byType, `${d.appId}/${d.type}`);
  };
  for (const p of placed) if (p.agentId) add(p.agentId, p);
  const fits = (a: AgentCapacity, d: DynoToPlace) => {
    const l = load.get(a.id)!;
    // A bound dyno only where it reaches its add-ons and its space.
    if (d.serverBound && !a.server) return false;
    if (d.spaceBound && !a.spaces) return false;
    if (d.agentBound && a.id !== d.agentBound) return false;
    return (a.slots === null || l.slots + 1 <= a.slots) && (a.memoryMb === null || l.memoryMb + dynoSize(d.size).quotaMb <= a.memoryMb);
  };
  const result = new Map<string, string | null>();
  for (const d of wanted) {
    const preferred = usable.find((a) => a.id === d.prefer);
    let chosen = preferred && fits(preferred, d) && !spreadsBetter(usable, load, d, preferred, fits) ? preferred : undefined;
    if (!chosen) {
      const candidates = usable.filter((a) => fits(a, d));
      chosen = candidates.sort((a, b) => compare(load.get(a.id)!, load.get(b.id)!, d))[0];
    }
    result.set(d.key, chosen?.id ?? null);
    if (chosen) add(chosen.id, d);
  }
  return result;
}

/** Fewer dynos of this app and type first, then of this app, then fewer dynos at all. */
function compare(a: Load, b: Load, d: DynoToPlace): number {
  const t = `${d.appId}/${d.type}`;
  return (a.byType.get(t) ?? 0) - (b.byType.get(t) ?? 0) || (a.byApp.get(d.appId) ?? 0) - (b.byApp.get(d.appId) ?? 0) || a.slots - b.slots;
}

/** A preferred agent is left only when another has fewer of this app's dynos of the type (so a swap never piles them up). */
function spreadsBetter(usable: AgentCapacity[], load: Map<string, Load>, d: DynoToPlace, preferred: AgentCapacity, fits: (a: AgentCapacity, d: DynoToPlace) => boolean): boolean {
  const t = `${d.appId}/${d.type}`;
  const here = load.get(preferred.id)!.byType.get(t) ?? 0;
  return usable.some((a) => a !== preferred && fits(a, d) && (load.get(a.id)!.byType.get(t) ?? 0) < here);
}
