import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// The server's own agent beside a local agent process (`local-server`, label slipway:server-only)
// ran the dynos of apps in private spaces; the local agent process holds the spaces now, so no
// server starts that agent again. Its row goes (its dynos' desired rows are placed anew, stranded).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM agents WHERE labels LIKE ${'%"slipway:server-only"%'}`.execute(db);
}
