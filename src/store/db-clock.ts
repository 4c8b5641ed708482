// Times computed by the database itself (Postgres `now()`, SQLite's own clock), in the ISO format
// the store keeps: replicas whose clocks disagree still agree on when a lease ends or a retry is due.
import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import type { Dialect } from './db.js';

/** Which database `db` talks to (for callers that were given only the Kysely instance). */
export const dialectOf = (db: Kysely<unknown>): Dialect => (db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite');

/** The database's time `ms` from now, as `YYYY-MM-DDTHH:MM:SS.sssZ`. */
export function dbTimeIn(dialect: Dialect, ms = 0): RawBuilder<string> {
  if (dialect === 'postgres') {
    return sql<string>`to_char((now() at time zone 'UTC') + make_interval(secs => ${ms / 1000}::double precision), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  }
  return sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${`${ms >= 0 ? '+' : ''}${ms / 1000} seconds`})`;
}
