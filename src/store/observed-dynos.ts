// Observed dynos: what each agent last reported running (the router and `ps` read these).
import type { Kysely } from 'kysely';
import type { Database, ObservedDynosTable } from './schema.js';
import { now } from './db.js';
import { LOCAL_LABEL, labelled, serverAgent } from './dyno-agents.js';

export type ObservedDynoRow = ObservedDynosTable;

export const observedOnAgent = (db: Kysely<Database>, agentId: string): Promise<ObservedDynoRow[]> =>
  db.selectFrom('observed_dynos').selectAll().where('agent_id', '=', agentId).execute();

export const observedForApp = (db: Kysely<Database>, appId: string): Promise<ObservedDynoRow[]> =>
  db.selectFrom('observed_dynos').selectAll().where('app_id', '=', appId).execute();

/** An agent's report replaces its previous one, and says the agent is alive. */
export async function replaceObserved(db: Kysely<Database>, agentId: string, rows: readonly Omit<ObservedDynoRow, 'agent_id' | 'reported_at'>[]): Promise<void> {
  const at = now();
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('observed_dynos').where('agent_id', '=', agentId).execute();
    if (rows.length) await trx.insertInto('observed_dynos').values(rows.map((r) => ({ ...r, agent_id: agentId, reported_at: at }))).execute();
    await trx.updateTable('agents').set({ last_seen_at: at }).where('id', '=', agentId).execute();
  });
}

/** Web dynos that are up, per app, on agents neither revoked nor lost (silent for `lostAfterMs`): the router's table (`local`: on one of the servers' own agents). */
export async function upWebDynos(db: Kysely<Database>, lostAfterMs: number): Promise<Map<string, { id: string; host: string; port: number; name: string; local: boolean }[]>> {
  const rows = await db.selectFrom('observed_dynos as o').innerJoin('agents as g', 'g.id', 'o.agent_id')
    .select(['o.app_id', 'o.dyno_id', 'o.host', 'o.port', 'o.name', 'g.labels']).where('o.process_type', '=', 'web').where('o.state', '=', 'up').where('g.revoked_at', 'is', null)
    .where('g.last_seen_at', '>=', new Date(Date.now() - lostAfterMs).toISOString())
    .orderBy('o.app_id').orderBy('o.name').execute();
  const byApp = new Map<string, { id: string; host: string; port: number; name: string; local: boolean }[]>();
  for (const r of rows) byApp.set(r.app_id, [...byApp.get(r.app_id) ?? [], { id: r.dyno_id, host: r.host, port: r.port, name: r.name, local: labelled(r, LOCAL_LABEL) || serverAgent(r) }]);
  return byApp;
}
