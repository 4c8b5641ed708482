// What an app has in flight when it is destroyed: its one-off dynos, its builds and its release
// phases all run as its uid, which goes back to the range with the app. Each is stopped, and the
// destroy waits (bounded) until they have ended, so no process of it outlives the app and no
// later app is given a uid something of this one still runs as.
import type { AppContext } from '../app-context.js';
import { requestCancel } from '../jobs/queue.js';
import { sleep } from '../core/sleep.js';
import { hasLiveOneOffs, stopAppOneOffs } from './agent-one-offs.js';

type Ctx = Parameters<typeof stopAppOneOffs>[0] & Pick<AppContext, 'store' | 'queue'>;

/** Stop the app's one-offs, builds and release phases; false when some had not ended after `boundMs`. */
export async function stopAppWork(ctx: Ctx, appId: string, boundMs = 15_000): Promise<boolean> {
  const db = ctx.store.db;
  const builds = await db.selectFrom('builds').select('id').where('app_id', '=', appId).where('status', '=', 'pending').execute();
  const releases = await db.selectFrom('releases').select('id').where('app_id', '=', appId).where('status', '=', 'pending').execute();
  const keys = [...builds.map((b) => `build:${b.id}`), ...releases.map((r) => `release:${r.id}`)];
  for (const key of keys) await requestCancel(ctx.queue, key);
  await stopAppOneOffs(ctx, appId);
  for (const until = Date.now() + boundMs; ; await sleep(100)) {
    const jobs = keys.length ? await db.selectFrom('jobs').select('key').where('key', 'in', keys).where('status', 'in', ['queued', 'running']).execute() : [];
    if (!jobs.length && !(await hasLiveOneOffs(ctx, appId))) return true;
    if (Date.now() > until) return false;
  }
}
