// `addons`, `addons:create`, `addons:destroy`: Postgres and Redis attached to an app.
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { printJson, table } from '../format.js';
import { appOption } from '../app-option.js';
import { confirmName } from '../confirm.js';

const client = () => new ApiClient(loadCredentials());
const enc = encodeURIComponent;
interface AddonJson {
  id: string; name: string; plan: { name: string }; config_vars: string[]; state: string; provider: string; created_at: string;
  server: { state: string; restarts: number; last_exit: string | null } | null;
}

/** Its server's state, with its restarts and how its process last ended when it was started again. */
const serverCell = (s: AddonJson['server']): string => (!s ? '-' : s.restarts ? `${s.state}, ${s.restarts} restart${s.restarts === 1 ? '' : 's'} (last: ${s.last_exit ?? 'unknown'})` : s.state);

export function registerAddons(program: Command): void {
  appOption(program.command('addons').description('list an app\'s add-ons'), 'app').option('--json', 'output JSON')
    .action(async (o: { app: string; json?: boolean }) => {
      const list = await client().get<AddonJson[]>(`/apps/${enc(o.app)}/addons`);
      if (o.json) return printJson(list);
      if (!list.length) return console.log(`${o.app} has no add-ons. Add one with \`slipway addons:create heroku-postgresql -a ${o.app}\`.`);
      console.log(table(list.map((a) => [a.name, a.plan.name, a.config_vars.join(', '), a.provider, a.state, serverCell(a.server)]), ['add-on', 'plan', 'config vars', 'provider', 'state', 'server']));
    });

  appOption(program.command('addons:create <plan>').description('provision an add-on (heroku-postgresql, heroku-redis) and attach it as <NAME>_URL'), 'app').option('--as <name>', 'attachment name (config var <NAME>_URL)')
    .action(async (plan: string, o: { app: string; as?: string }) => {
      process.stderr.write(`Creating ${plan} on ${o.app}... `);
      const a = await client().post<AddonJson>(`/apps/${enc(o.app)}/addons`, { plan, ...(o.as ? { attachment: { name: o.as } } : {}) });
      process.stderr.write('done\n');
      console.log(`Created ${a.name} as ${a.config_vars.join(', ')}`);
    });

  appOption(program.command('addons:destroy <addon>').description('remove an add-on and delete its data'), 'app')
    .option('--confirm <app>', 'repeat the app name to confirm')
    .action(async (addon: string, o: { app: string; confirm?: string }) => {
      await confirmName(o.app, o.confirm, `This destroys ${addon} on ${o.app} and deletes its data.`);
      const a = await client().delete<AddonJson>(`/apps/${enc(o.app)}/addons/${enc(addon)}`);
      console.log(`Destroyed ${a.name} (${a.config_vars.join(', ')} removed).`);
    });
}
