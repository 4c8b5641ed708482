// The control plane's side of dynos: after a deploy, a scale, a restart, a rollback or an agent
// loss, an app's desired rows are planned (src/scheduler/dyno-plan.ts), placed on agents
// (src/scheduler/placement.ts) and written; agents then reconcile their hosts to them.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../store/db-clock.js';
import type { Database } from '../store/schema.js';
import { currentRelease } from '../store/releases.js';
import { getSlug } from '../store/builds.js';
import { getFormation } from '../store/formation.js';
import { allDesiredDynos, replaceDesiredDynos } from '../store/desired-dynos.js';
import { agentUsable, listAgents, serverAgent, spaceHosts } from '../store/dyno-agents.js';
import { KeyedSerial } from '../jobs/keyed-serial.js';
import { planAppDynos } from './dyno-plan.js';
import { placeDynos } from './placement.js';

/** How long an agent may stay silent before its dynos are placed elsewhere. */
export const AGENT_LOST_MS = 30_000;

export interface ScheduleResult {
  /** Rows were created or removed (agents have something to do). */
  changed: boolean;
  /** The current release's dynos replace another release's (a deploy, a rollback, a config change). */
  newRelease?: { id: string; version: number; description: string };
  /** Dynos no agent has room for. */
  unplaced: string[];
}

// Two changes of one app (a deploy and a scale) must not plan from the same rows, nor two apps fill
// one agent past its room: one plan at a time (it takes milliseconds), in this process and, on
// Postgres, across replicas. Queued here first, so at most one of this process's pooled connections
// waits for the store's lock.
const planning = new KeyedSerial();
const PLAN_LOCK = 'slipway:schedule';

/**
 * On Postgres, `work` in one transaction that holds the scheduling lock until it commits (the rows it
 * wrote are then seen by the next plan). SQLite is one server's store: the queue in this process is
 * the lock (a transaction there would only meet another process's writes as "database is locked").
 */
function underPlanLock<T>(db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (dialectOf(db as Kysely<unknown>) !== 'postgres') return work(db);
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${PLAN_LOCK}))`.execute(trx);
    return work(trx);
  });
}

/**
 * Where an app's dynos must run: `spaces` on an agent that runs private spaces' networks (the local
 * agent process, agents the operator allowed, or the server's own agent without one: spaceHosts); `agentId` on the agent whose host runs its
 * add-on servers (releases/addon-host.ts); `server` on the server's own agent (add-on servers made in
 * the server process). Undefined: anywhere.
 */
export interface Binding { spaces?: true; agentId?: string; server?: true }

export async function appBinding(db: Kysely<Database>, appId: string): Promise<Binding | undefined> {
  const app = await db.selectFrom('apps').select('space_id').where('id', '=', appId).executeTakeFirst();
  const addons = await db.selectFrom('app_addons').select('agent_id').where('app_id', '=', appId).execute();
  const agentId = addons.find((a) => a.agent_id)?.agent_id;
  const b: Binding = { ...app?.space_id ? { spaces: true } : {}, ...agentId ? { agentId } : addons.length ? { server: true } : {} };
  return Object.keys(b).length ? b : undefined;
}

/**
 * The agent an app's release phases run on: the one running its add-on servers, or its space's
 * network, when that is not the server's own (whose runner reaches them); else undefined, any runner.
 */
export async function releaseAgent(db: Kysely<Database>, appId: string, lostAfterMs = AGENT_LOST_MS): Promise<string | undefined> {
  const bound = await appBinding(db, appId);
  if (!bound || bound.server) return undefined;
  const agents = await listAgents(db);
  const spaced = spaceHosts(agents, (a) => agentUsable(a, lostAfterMs));
  const agent = bound.agentId ? agents.find((a) => a.id === bound.agentId) : agents.find((a) => spaced.has(a.id));
  return agent && !serverAgent(agent) ? agent.id : undefined;
}

/** Plan, place and write one app's desired dynos; `restart` replaces the dynos it names. */
export function scheduleApp(db: Kysely<Database>, appId: string, opts: { restart?: string; lostAfterMs?: number } = {}): Promise<ScheduleResult> {
  return planning.run(PLAN_LOCK, () => underPlanLock(db, async (db) => {
    const release = await currentRelease(db, appId);
    const processTypes = release?.slug_id ? JSON.parse((await getSlug(db, release.slug_id)).process_types) as Record<string, string> : null;
    const [formation, rows, agents] = await Promise.all([getFormation(db, appId), allDesiredDynos(db), listAgents(db)]);
    const existing = rows.filter((r) => r.app_id === appId);
    const lostAfter = opts.lostAfterMs ?? AGENT_LOST_MS;
    const usable = new Set(agents.filter((a) => agentUsable(a, lostAfter)).map((a) => a.id));
    // With no agent heard from, moving dynos would only stop them: they stay where they are.
    if (!usable.size) return { changed: false, unplaced: [] };
    const bound = await appBinding(db, appId);
    // A dyno stays only where it can reach its add-on servers and its space (they moved: a dyno elsewhere is replaced beside them).
    const spaced = spaceHosts(agents, (a) => usable.has(a.id));
    const stayOn = new Set([...usable].filter((id) => (!bound?.agentId || id === bound.agentId) && (!bound?.spaces || spaced.has(id))));
    const plan = planAppDynos({ release: release && processTypes ? { id: release.id, processTypes } : null, formation, existing, usable: stayOn, restart: opts.restart });
    const placed = [...rows.filter((r) => r.app_id !== appId), ...plan.keep].map((r) => ({ appId: r.app_id, type: r.process_type, size: r.size, agentId: r.agent_id }));
    // An agent's `slots` are its job slots (test nodes, builds); dynos are bounded by its memory.
    const where = placeDynos(agents.map((a) => ({ id: a.id, slots: null, memoryMb: a.memory_mb, usable: usable.has(a.id), server: serverAgent(a), spaces: spaced.has(a.id) })), placed,
      plan.create.map((c) => ({ key: c.name, appId, type: c.type, size: c.size, prefer: c.prefer, serverBound: !!bound?.server, agentBound: bound?.agentId, spaceBound: !!bound?.spaces })));
    const create = plan.create.map((c) => ({
      id: `dyno-${appId.slice(0, 8)}-${c.type}-${c.name.split('.')[1]}-g${c.generation}-${randomBytes(4).toString('hex')}`,
      release_id: release!.id, process_type: c.type, name: c.name, size: c.size, command: c.command, agent_id: where.get(c.name) ?? null, generation: c.generation,
    }));
    // An unplaced row that stays unplaced is not rewritten (the periodic pass retries it quietly).
    const same = (r: typeof existing[number]) => r.agent_id === null && create.some((c) => c.agent_id === null && c.name === r.name && c.release_id === r.release_id && c.size === r.size && c.command === r.command);
    const remove = plan.remove.filter((id) => !same(existing.find((r) => r.id === id)!));
    const fresh = create.filter((c) => !(c.agent_id === null && existing.some((r) => same(r) && r.name === c.name)));
    await replaceDesiredDynos(db, appId, remove, fresh);
    const newRelease = release && fresh.length && !existing.some((r) => r.release_id === release.id)
      ? { id: release.id, version: release.version, description: release.description } : undefined;
    return { changed: remove.length + fresh.length > 0, newRelease, unplaced: create.filter((c) => c.agent_id === null).map((c) => c.name) };
  }));
}

/** Apps with dynos on an agent that is lost or revoked, or not placed yet: scheduled again. */
export async function rescheduleStranded(db: Kysely<Database>, lostAfterMs = AGENT_LOST_MS): Promise<string[]> {
  const agents = await listAgents(db);
  const usable = new Set(agents.filter((a) => agentUsable(a, lostAfterMs)).map((a) => a.id));
  const stranded = [...new Set((await allDesiredDynos(db)).filter((r) => r.agent_id === null || !usable.has(r.agent_id)).map((r) => r.app_id))];
  const moved: string[] = [];
  for (const appId of stranded) if ((await scheduleApp(db, appId, { lostAfterMs })).changed) moved.push(appId);
  return moved;
}
