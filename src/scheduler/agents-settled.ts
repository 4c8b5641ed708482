// A deploy, scale or restart answers once the agents have acted on it, as it does when the server
// runs the dynos itself: every dyno the app should have is reported by its agent past `starting`
// (up, or crashed: a boot failure is the deploy's news, not a reason to wait), and an app that
// should have none has none left. Bounded: an agent that is slow or away never holds the answer.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { listDesiredDynos } from '../store/desired-dynos.js';
import { observedForApp } from '../store/observed-dynos.js';
import { agentUsable, listAgents } from '../store/dyno-agents.js';

interface Desired { id: string; agent_id: string | null }
interface Observed { dyno_id: string; agent_id: string; state: string }

/** Whether the agents have acted on `desired` (only dynos placed on, and reports of, `usable` agents count: a lost agent's last report stays in the store). */
export function agentsSettled(desired: readonly Desired[], observed: readonly Observed[], usable: ReadonlySet<string>): boolean {
  const live = observed.filter((o) => usable.has(o.agent_id));
  if (!desired.length) return live.length === 0;
  const state = new Map(live.map((o) => [o.dyno_id, o.state]));
  return desired.every((d) => !d.agent_id || !usable.has(d.agent_id) || (state.has(d.id) && state.get(d.id) !== 'starting'));
}

/** Waiters of this process for the next report of observed dynos (reports that another server replica stores reach them by the poll). */
const reportWaiters = new Set<() => void>();

/** An agent's report of its dynos was stored: wake this process's waits at once. */
export function observedReported(): void {
  for (const wake of [...reportWaiters]) wake();
}

/** Resolves at the next report of observed dynos in this process, or after `ms`. */
function nextReport(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => { clearTimeout(timer); reportWaiters.delete(wake); resolve(); };
    const timer = setTimeout(wake, ms);
    reportWaiters.add(wake);
  });
}

/** Wait until the agents have acted on the app's desired dynos, or `timeoutMs` has passed. */
export async function waitForAgents(db: Kysely<Database>, appId: string, o: { lostAfterMs: number; timeoutMs: number; skipAgent?: string }): Promise<void> {
  const until = Date.now() + o.timeoutMs;
  for (;;) {
    const usable = new Set((await listAgents(db)).filter((a) => a.id !== o.skipAgent && agentUsable(a, o.lostAfterMs)).map((a) => a.id));
    const [desired, observed] = await Promise.all([listDesiredDynos(db, appId), observedForApp(db, appId)]);
    const own = (x: { agent_id: string | null }) => x.agent_id !== o.skipAgent;
    if (agentsSettled(desired.filter(own), observed.filter(own), usable) || Date.now() >= until) return;
    // Woken by a report stored here; the poll is for reports stored by another server replica.
    await nextReport(100);
  }
}
