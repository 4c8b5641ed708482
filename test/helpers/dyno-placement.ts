// Where the store placed an app's dynos, read from a (SQLite) server's database file directly.
import path from 'node:path';
import Database from 'better-sqlite3';

/** Which agent each of the app's dynos is placed on, by dyno name. */
export function dynoPlacement(dataDir: string, app: string): Record<string, string> {
  const db = new Database(path.join(dataDir, 'slipway.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT d.name, g.name AS agent FROM desired_dynos d JOIN apps a ON a.id = d.app_id JOIN agents g ON g.id = d.agent_id WHERE a.name = ?').all(app) as Array<{ name: string; agent: string }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.agent]));
  } finally { db.close(); }
}
