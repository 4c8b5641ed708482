import type { Kysely } from 'kysely';
import { DEFAULT_DYNO_SIZE, lookupDynoSize } from '../../core/dyno-size.js';

// Formation sizes now choose a dyno's limits and are checked against Heroku's dyno types. Rows
// written before held whatever was sent ("Standard-2X", "2X", a typo): store the canonical name,
// and the default for what is not a size, so every stored size is one the runtime knows.
export async function up(db: Kysely<unknown>): Promise<void> {
  const d = db as Kysely<{ formation: { app_id: string; type: string; size: string } }>;
  for (const row of await d.selectFrom('formation').select(['app_id', 'type', 'size']).execute()) {
    const r = lookupDynoSize(row.size);
    const size = r.ok ? r.size.name : DEFAULT_DYNO_SIZE;
    if (size !== row.size) await d.updateTable('formation').set({ size }).where('app_id', '=', row.app_id).where('type', '=', row.type).execute();
  }
}
