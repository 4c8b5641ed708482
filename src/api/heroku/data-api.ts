// The data API the heroku CLI asks about its databases (`pg:info`, `pg:credentials:url`,
// `redis:info`, `redis:cli`), served by Slipway itself: the CLI sends these requests to
// HEROKU_DATA_HOST (then HEROKU_POSTGRESQL_HOST / HEROKU_REDIS_HOST) on HEROKU_HOST's port, so with
// HEROKU_DATA_HOST set to HEROKU_HOST's host name nothing goes to Heroku.
import type { FastifyInstance } from 'fastify';
import { listApps } from '../../store/apps.js';
import { listAppAddons, type AppAddon } from '../../store/app-addons.js';
import { fail } from '../../core/errors.js';
import type { AppContext } from '../../app-context.js';

const planOf = (x: AppAddon) => x.plan.split(':')[1] ?? 'default';

/** The add-on named by id or shown name (`heroku-redis-1a2b3c4d`), of the given service. */
async function findAddon(ctx: Pick<AppContext, 'store'>, ref: string, service: 'postgresql' | 'redis'): Promise<AppAddon> {
  const apps = await listApps(ctx.store.db);
  for (const a of apps) {
    for (const x of await listAppAddons(ctx.store.db, a.id)) {
      if (x.service === service && (x.id === ref || `${x.plan.split(':')[0]}-${x.id.slice(0, 8)}` === ref)) return x;
    }
  }
  throw fail('not_found', `No ${service === 'redis' ? 'Redis' : 'Postgres'} add-on ${ref}; list them with \`heroku addons\`.`);
}

/** What pg:info shows, read from the database itself; Status says so when it cannot be reached. */
async function postgresFacts(url: string): Promise<{ name: string; values: string[] }[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, statement_timeout: 5000 });
  try {
    await client.connect();
    const r = await client.query<{ v: string; size: string; tables: string; conns: string }>(
      `select current_setting('server_version') as v, pg_size_pretty(pg_database_size(current_database())) as size,
        (select count(*) from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema'))::text as tables,
        (select count(*) from pg_stat_activity where datname = current_database())::text as conns`);
    const row = r.rows[0]!;
    return [
      { name: 'Status', values: ['Available'] }, { name: 'Data Size', values: [row.size] }, { name: 'Tables', values: [row.tables] },
      { name: 'PG Version', values: [row.v] }, { name: 'Connections', values: [row.conns] },
    ];
  } catch (e) {
    return [{ name: 'Status', values: [`Unavailable (${(e as Error).message})`] }];
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dataApiRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'store'>): Promise<void> {
  app.get<{ Params: { id: string } }>('/client/v11/databases/:id', async (req) => {
    const x = await findAddon(ctx, req.params.id, 'postgresql');
    return {
      addon_id: x.id, name: `${x.plan.split(':')[0]}-${x.id.slice(0, 8)}`, plan: planOf(x), resource_url: x.url, waiting: false,
      info: [{ name: 'Plan', values: [planOf(x)] }, ...(await postgresFacts(x.url)), { name: 'Created', values: [x.created_at] }],
    };
  });
  // pg:credentials:url: Slipway's databases have one credential, `default`, the one in <NAME>_URL.
  app.get<{ Params: { name: string; cred: string } }>('/postgres/v0/databases/:name/credentials/:cred', async (req) => {
    const x = await findAddon(ctx, req.params.name, 'postgresql');
    if (req.params.cred !== 'default') throw fail('not_found', `${req.params.name} has only the default credential; Slipway does not create named credentials.`);
    const u = new URL(x.url);
    return {
      uuid: x.id, name: 'default', state: 'active', database: u.pathname.slice(1), host: u.hostname, port: Number(u.port || 5432),
      credentials: [{ user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), state: 'active', connections: null }],
    };
  });
  // redis:cli connects to resource_url itself. Slipway's Redis speaks plain TCP on the app's network,
  // which the CLI accepts only for a plan named hobby-* (after --confirm APP), so the plan is shown so.
  app.get<{ Params: { id: string } }>('/redis/v0/databases/:id', async (req) => {
    const x = await findAddon(ctx, req.params.id, 'redis');
    return {
      addon_id: x.id, name: `heroku-redis-${x.id.slice(0, 8)}`, plan: `hobby-${planOf(x)}`, prefer_native_tls: false, resource_url: x.url,
      info: [{ name: 'Plan', values: [planOf(x)] }, { name: 'Status', values: ['available'] }, { name: 'Created', values: [x.created_at] }, { name: 'TLS', values: ['no (plain TCP on the app\'s network)'] }],
    };
  });
}
