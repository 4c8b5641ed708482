// `webhooks`, `webhooks:add`, `webhooks:remove`, `webhooks:deliveries`: an app's webhooks (Heroku's
// app webhooks: signed JSON deliveries of release, build, formation, add-on, domain events).
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { printJson, table, bold } from '../format.js';
import { appOption } from '../app-option.js';

const client = () => new ApiClient(loadCredentials());
const enc = encodeURIComponent;
interface WebhookJson { id: string; url: string; include: string[]; level: string; created_at: string }
interface DeliveryJson { id: string; created_at: string; status: string; num_attempts: number; next_attempt_at: string | null; event: { include: string }; webhook: { level: string }; last_attempt: { code: number | null; error_class: string | null } | null }

export function registerWebhooks(program: Command): void {
  appOption(program.command('webhooks').description('list an app\'s webhooks'), 'app').option('--json', 'output JSON')
    .action(async (o: { app: string; json?: boolean }) => {
      const list = await client().get<WebhookJson[]>(`/apps/${enc(o.app)}/webhooks`);
      if (o.json) return printJson(list);
      if (!list.length) return console.log(`${o.app} has no webhooks. Add one with \`slipway webhooks:add -a ${o.app} -i api:release -l notify -u URL\`.`);
      console.log(table(list.map((w) => [w.id, w.url, w.include.join(','), w.level]), ['webhook id', 'url', 'include', 'level']));
    });

  appOption(program.command('webhooks:add').description('add a webhook: signed JSON deliveries of the app\'s events to a URL'), 'app')
    .requiredOption('-i, --include <types>', 'comma-separated event types: api:release, api:build, api:formation, api:addon-attachment, api:domain, api:sni-endpoint, …')
    .requiredOption('-l, --level <level>', 'notify (one attempt) or sync (retried with back-off until it succeeds, 10 attempts)')
    .requiredOption('-u, --url <url>', 'the receiver (http:// or https://)')
    .option('-s, --secret <secret>', 'the secret deliveries are signed with (Heroku-Webhook-Hmac-SHA256); default: a new one, shown once')
    .option('-t, --authorization <value>', 'an Authorization header sent with each delivery')
    .action(async (o: { app: string; include: string; level: string; url: string; secret?: string; authorization?: string }) => {
      // Made here rather than read from the Heroku-Webhook-Secret header: the API client returns bodies only.
      const secret = o.secret ?? randomBytes(32).toString('hex');
      const w = await client().post<WebhookJson>(`/apps/${enc(o.app)}/webhooks`, {
        include: o.include.split(',').map((s) => s.trim()), level: o.level, url: o.url, secret, ...(o.authorization ? { authorization: o.authorization } : {}),
      });
      console.log(`Added webhook ${w.id} to ${o.app}: ${w.include.join(', ')} → ${w.url} (${w.level}).`);
      if (!o.secret) console.log(`Signing secret: ${secret}    ${bold('(shown only now)')}`);
    });

  appOption(program.command('webhooks:remove <id>').description('remove a webhook (its deliveries go with it)'), 'app')
    .action(async (id: string, o: { app: string }) => {
      const w = await client().delete<WebhookJson>(`/apps/${enc(o.app)}/webhooks/${enc(id)}`);
      console.log(`Removed webhook ${w.id} (${w.url}) from ${o.app}.`);
    });

  appOption(program.command('webhooks:deliveries').description('an app\'s webhook deliveries, newest last, with their status'), 'app')
    .option('-s, --status <status>', 'only pending, retrying, succeeded or failed').option('--json', 'output JSON')
    .action(async (o: { app: string; status?: string; json?: boolean }) => {
      const list = (await client().get<DeliveryJson[]>(`/apps/${enc(o.app)}/webhook-deliveries${o.status ? `?eq[status]=${enc(o.status)}` : ''}`)).reverse();
      if (o.json) return printJson(list);
      if (!list.length) return console.log(`${o.app} has no deliveries.`);
      console.log(table(list.map((d) => [d.id, d.created_at, d.status, d.event.include, d.webhook.level, String(d.num_attempts), String(d.last_attempt?.code ?? ''), d.last_attempt?.error_class ?? '', d.next_attempt_at ?? '']),
        ['delivery id', 'created', 'status', 'include', 'level', 'attempts', 'code', 'error', 'next attempt']));
    });
}
