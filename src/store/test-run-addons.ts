import type { Kysely } from 'kysely';
import type { Database, TestRunAddonsTable } from './schema.js';
import type { Provisioned } from '../addons/providers.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export type TestRunAddon = TestRunAddonsTable;

export async function recordAddons(db: Kysely<Database>, runId: string, addons: Provisioned[]): Promise<void> {
  if (!addons.length) return;
  await db.insertInto('test_run_addons').values(addons.map((a) => ({
    id: newId(), test_run_id: runId, name: a.name, plan: a.plan, service: a.service, provider: a.provider, url: a.url,
    database: a.database ?? null, status: 'provisioned', created_at: now(), deprovisioned_at: null,
  }))).execute();
}

export async function listAddons(db: Kysely<Database>, runId: string): Promise<TestRunAddon[]> {
  return db.selectFrom('test_run_addons').selectAll().where('test_run_id', '=', runId).orderBy('created_at').orderBy('name').execute();
}

export async function markDeprovisioned(db: Kysely<Database>, runId: string): Promise<void> {
  await db.updateTable('test_run_addons').set({ status: 'deprovisioned', deprovisioned_at: now() })
    .where('test_run_id', '=', runId).where('status', '=', 'provisioned').execute();
}

/** Runs that ended but whose add-ons are still up (e.g. the server died before tearing them down). */
export async function runsWithLiveAddons(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('test_run_addons').innerJoin('test_runs', 'test_runs.id', 'test_run_addons.test_run_id')
    .select('test_run_addons.test_run_id').distinct().where('test_run_addons.status', '=', 'provisioned')
    .where('test_runs.status', 'in', ['succeeded', 'failed', 'errored', 'cancelled']).execute();
  return rows.map((r) => r.test_run_id);
}

export const toProvisioned = (a: TestRunAddon): Provisioned => ({
  name: a.name, plan: a.plan, service: a.service as Provisioned['service'], provider: a.provider as Provisioned['provider'], url: a.url, database: a.database ?? undefined,
});
