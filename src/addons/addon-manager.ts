// The add-ons of test runs: provisioned once per run (parallel nodes share them), torn down when the
// run ends — also after a restart, from what was recorded (processes are found by their marker).
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { killMarked } from '../sandbox/process-tree.js';
import type { AddonRequest } from './addon-spec.js';
import { EphemeralPostgres, ServerPostgres, provisionRedis, type LiveAddon, type Provisioned } from './providers.js';

export interface AddonManagerOptions { sandbox: Sandbox; workRoot: string; templateRoot: string; pgBin: string; postgresServerUrl?: string }

export type ProvisionResult = { ok: true; addons: Provisioned[] } | { ok: false; message: string };

export const addonMarker = (runId: string): string => `addons-${runId}`;

export class AddonManager {
  private live = new Map<string, LiveAddon[]>();
  private ephemeral: EphemeralPostgres;
  private server?: ServerPostgres;

  constructor(private o: AddonManagerOptions) {
    this.ephemeral = new EphemeralPostgres(o.sandbox, o.templateRoot, o.pgBin);
    if (o.postgresServerUrl) this.server = new ServerPostgres(o.postgresServerUrl);
  }

  private runDir(runId: string): string { return path.join(this.o.workRoot, `addons-${runId}`); }

  /** Provision every add-on of a run in order; on the first failure, tear down what was made and say which and why. */
  async provision(runId: string, requests: AddonRequest[], log: (line: string) => void): Promise<ProvisionResult> {
    const made: LiveAddon[] = [];
    this.live.set(runId, made);
    for (const req of requests) {
      const dir = path.join(this.runDir(runId), req.name.toLowerCase());
      this.o.sandbox.ownedDir(this.runDir(runId));
      this.o.sandbox.ownedDir(dir);
      const ctx = { sandbox: this.o.sandbox, dir, marker: addonMarker(runId), runId };
      const started = Date.now();
      try {
        const addon = req.service === 'redis' ? await provisionRedis(req, ctx)
          : this.server ? await this.server.provision(req, ctx) : await this.ephemeral.provision(req, ctx);
        made.push(addon);
        log(`-----> Provisioned ${req.plan} as ${req.name}_URL (${addon.info.provider}, ${Date.now() - started} ms)\n`);
      } catch (e) {
        await this.teardown(runId, made.map((m) => m.info));
        return { ok: false, message: `Add-on ${req.plan} (${req.name}_URL) could not be provisioned: ${(e as Error).message}.` };
      }
    }
    return { ok: true, addons: made.map((m) => m.info) };
  }

  /** Stop and delete a run's add-ons; works from the recorded list alone (after a restart). */
  async teardown(runId: string, recorded: Provisioned[]): Promise<void> {
    const live = this.live.get(runId) ?? [];
    this.live.delete(runId);
    await Promise.all(live.map((a) => a.proc?.stop()));
    killMarked((m) => m === addonMarker(runId));
    for (const a of recorded) {
      if (a.provider === 'server-postgres' && a.database && this.server) await this.server.drop(a.database).catch(() => {});
    }
    fs.rmSync(this.runDir(runId), { recursive: true, force: true });
  }

  /** Runs whose add-ons are up in this process (for shutdown). */
  liveRuns(): string[] { return [...this.live.keys()]; }
}
