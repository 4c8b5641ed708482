// Where this server's apps' add-on servers run: in the local agent process when there is one (so
// they outlive the server, beside the dynos that use them), else in the server process. The agent
// that runs them is stored on each add-on's row: the app's dynos, one-offs and release phases are
// placed there (src/scheduler/schedule-app.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Config } from '../config.js';
import type { AppAddonHost, AppAddonRecord } from '../addons/app-addon-host.js';
import { CompanionAddons } from '../companions/companion-addons.js';
import { localAgentPaths } from '../companions/local-agent-companion.js';

export interface AppAddons extends AppAddonHost {
  /** The agent whose host runs the add-on servers (null: none, this server runs no dynos). */
  agentId(): Promise<string | null>;
}

/** Whether apps' add-on servers run in the local agent process (else in the server). */
export const addonsInLocalAgent = (config: Pick<Config, 'embeddedRunner' | 'localAgent'>): boolean => config.embeddedRunner && config.localAgent === 'process';

/** The add-on host for this server's configuration; `inServer` is the server's own AddonManager. */
export function appAddonHost(o: { config: Pick<Config, 'dataDir' | 'embeddedRunner' | 'localAgent'>; db: Kysely<Database>; inServer: AppAddonHost; agentName: string }): AppAddons {
  const agent = localAgentPaths(o.config.dataDir);
  const inAgent = addonsInLocalAgent(o.config);
  const host = inAgent ? new CompanionAddons(agent.socket) : o.inServer;
  const here = path.join(o.config.dataDir, 'workspaces');
  // An add-on's folder follows its host (made before the local agent process, or the setting changed).
  const follow = (id: string) => {
    const [from, to] = inAgent ? [here, agent.workRoot] : [agent.workRoot, here];
    const dir = `app-addon-${id}`;
    if (!fs.existsSync(path.join(from, dir)) || fs.existsSync(path.join(to, dir))) return;
    fs.mkdirSync(to, { recursive: true, mode: 0o711 });
    fs.renameSync(path.join(from, dir), path.join(to, dir));
  };
  return {
    async agentId() {
      if (!o.config.embeddedRunner) return null;
      return (await o.db.selectFrom('agents').select('id').where('name', '=', o.agentName).executeTakeFirst())?.id ?? null;
    },
    provisionForApp: (id, req, appId, tenant) => host.provisionForApp(id, req, appId, tenant),
    startForApp: (a: AppAddonRecord, tenant) => { follow(a.id); return host.startForApp(a, tenant); },
    destroyForApp: (a) => { follow(a.id); return host.destroyForApp(a); },
  };
}
