// Queries in a loop on one open connection to an app's Postgres add-on while something happens to
// the process that runs it (its agent killed, replaced): each query inserts a row and reads it back
// on the same session. Bounded: it stops by itself after `maxMs`.
import pg from 'pg';

export interface QueryLoop {
  /** The queries that succeeded and failed, the first error, whether the session is still the one it began with (its backend pid), and its table's rows (-1: unreadable). */
  stop(): Promise<{ ok: number; failures: number; firstError?: string; sameSession: boolean; rows: number }>;
}

/** Open one session to `url` (a table `loop_<name>` of its own) and query it every `intervalMs` until stopped. */
export async function queryLoop(url: string, name: string, opts: { intervalMs?: number; maxMs?: number } = {}): Promise<QueryLoop> {
  const table = `loop_${name}`;
  const db = new pg.Client({ connectionString: url });
  let firstError: string | undefined;
  db.on('error', (e) => { firstError ??= `connection: ${e.message}`; });
  await db.connect();
  await db.query(`CREATE TABLE ${table} (n serial PRIMARY KEY, at timestamptz DEFAULT now())`);
  const backend = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  let stop = false;
  let ok = 0;
  let failures = 0;
  const until = Date.now() + (opts.maxMs ?? 120_000);
  const done = (async () => {
    while (!stop && Date.now() < until) {
      try {
        const n = (await db.query<{ n: number }>(`INSERT INTO ${table} DEFAULT VALUES RETURNING n`)).rows[0]!.n;
        const back = await db.query(`SELECT n FROM ${table} WHERE n = $1`, [n]);
        if (back.rowCount !== 1) throw new Error(`row ${n} not read back`);
        ok++;
      } catch (e) {
        failures++;
        firstError ??= (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      try {
        const sameSession = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid === backend;
        const rows = Number((await db.query<{ c: string }>(`SELECT count(*) AS c FROM ${table}`)).rows[0]!.c);
        return { ok, failures, firstError, sameSession, rows };
      } catch (e) {
        // The session is gone (the database restarted under it): said in the result, not thrown.
        firstError ??= (e as Error).message;
        return { ok, failures: failures || 1, firstError, sameSession: false, rows: -1 };
      } finally { await db.end().catch(() => {}); }
    },
  };
}
