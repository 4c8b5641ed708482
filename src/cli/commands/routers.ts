// `routers`, `routers:create NAME` (prints the token once), `routers:revoke NAME`; and `router`,
// the router as a process of its own, fed its table by a server.
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials, serverEnv } from '../context.js';
import { printJson, table } from '../format.js';
import { CliError, EXIT } from '../errors.js';

const client = () => new ApiClient(loadCredentials());
interface RouterJson { name: string; created_at: string; revoked_at: string | null; last_seen_at: string | null }

export function registerRouters(program: Command): void {
  program.command('routers').description('list router credentials: created, last seen, revoked').option('--json', 'output JSON').action(async (o: { json?: boolean }) => {
    const list = await client().get<RouterJson[]>('/routers');
    if (o.json) return printJson(list);
    if (!list.length) return console.log('No routers yet. Create one with `slipway routers:create NAME`.');
    console.log(table(list.map((r) => [r.name, r.revoked_at ? `revoked ${r.revoked_at}` : 'active', r.last_seen_at ?? 'never']), ['name', 'state', 'last seen']));
  });
  program.command('routers:create <name>').description('create a router credential and print its token (shown once)').action(async (name: string) => {
    const r = await client().post<RouterJson & { token: string }>('/routers', { name });
    console.log(`Created router ${r.name}. Its token (shown once, stored only as a hash; it reads the routing table and sends router logs, nothing else):\n\n    ${r.token}\n\nStart it with:  slipway router --server ${loadCredentials().url} --token ${r.token}`);
  });
  program.command('routers:revoke <name>').description('revoke a router\'s token for good (its table stream is cut)').action(async (name: string) => {
    await client().delete(`/routers/${encodeURIComponent(name)}`);
    console.log(`Revoked router ${name}: its token no longer works.`);
  });
  program.command('router').description('run the router as a process of its own, fed its routing table by a server')
    .option('--server <url>', 'the server\'s URL (SLIPWAY_ROUTER_SERVER)')
    .option('--token <token>', 'the router token from routers:create (SLIPWAY_ROUTER_TOKEN)')
    .option('--port <port>', 'port to listen on (SLIPWAY_ROUTER_PORT, default 5080)')
    .option('--host <host>', 'address to listen on (SLIPWAY_ROUTER_HOST, default SLIPWAY_HOST or 127.0.0.1)')
    .option('--domain <domain>', 'apps are <app>.<domain> (SLIPWAY_DOMAIN, default localhost)')
    .option('--data-plane <plane>', 'nginx, node or auto: nginx when installed (SLIPWAY_ROUTER, default auto)')
    .action(async (o: { server?: string; token?: string; port?: string; host?: string; domain?: string; dataPlane?: string }) => {
      const [{ loadRouterConfig }, { runRouter }, { RouterRefused }] = await Promise.all([import('../../router/router-config.js'), import('../../router/router-process.js'), import('../../router/table-client.js')]);
      const env = {
        ...serverEnv(), ...(o.server ? { SLIPWAY_ROUTER_SERVER: o.server } : {}), ...(o.token ? { SLIPWAY_ROUTER_TOKEN: o.token } : {}),
        ...(o.port ? { SLIPWAY_ROUTER_PORT: o.port } : {}), ...(o.host ? { SLIPWAY_ROUTER_HOST: o.host } : {}), ...(o.domain ? { SLIPWAY_DOMAIN: o.domain } : {}),
        ...(o.dataPlane ? { SLIPWAY_ROUTER: o.dataPlane } : {}),
      };
      let config;
      try { config = loadRouterConfig(env); } catch (e) { throw new CliError((e as Error).message); }
      try { await runRouter(config); } catch (e) {
        if (e instanceof RouterRefused) throw new CliError(e.message, EXIT.unreachable);
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`The router cannot listen on ${config.host}:${config.port}: the port is in use (another router?). Choose another with --port.`);
        throw e;
      }
      process.exit(0);
    });
}
