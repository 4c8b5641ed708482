// `audit [-a APP]`: who changed what, when and from where; `secrets:rotate-key`: a new secret key.
import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { printJson, table } from '../format.js';

const client = () => new ApiClient(loadCredentials());
interface AuditJson { at: string; actor: string; action: string; app_name: string | null; target: string; details: unknown; ip: string | null }

export function registerAudit(program: Command): void {
  program.command('audit').description('the audit log: every change, its actor, time and address (newest first; admins only)')
    .option('-a, --app <app>', 'only changes to this app').option('-n, --num <n>', 'how many events', '100').option('--json', 'output JSON')
    .action(async (o: { app?: string; num: string; json?: boolean }) => {
      const q = new URLSearchParams({ limit: o.num, ...(o.app ? { app: o.app } : {}) });
      const list = await client().get<AuditJson[]>(`/audit?${q}`);
      if (o.json) return printJson(list);
      if (!list.length) return console.log('No changes recorded yet.');
      console.log(table(list.map((e) => [e.at, e.actor, e.action, e.app_name ?? e.target, e.details ? JSON.stringify(e.details) : '', e.ip ?? '']), ['when', 'who', 'action', 'app or target', 'details', 'from']));
    });
  program.command('secrets:rotate-key').description('seal every secret with a new key in the data folder\'s key file and drop the old key (admins only)')
    .action(async () => {
      const r = await client().post<{ previous_key_id: string; key_id: string; resealed: number }>('/secrets/rotate-key', {});
      console.log(`Rotated the secret key: ${r.previous_key_id} → ${r.key_id}; ${r.resealed} value(s) re-sealed, the old key removed from the key file.`);
    });
}
