// The apps' add-on servers' supervision (addons/addon-supervisor.ts) reported to the server: the
// newest status of each add-on waits here until the server took it (a status replaced before it was
// sent is never sent), tried again every few seconds while the server is away.
import { AgentHttpError, type AgentClient } from './client.js';
import type { AddonServerStatus } from '../core/addon-server-status.js';

const RETRY_MS = 2000;

export class AddonStatusShipper {
  private waiting = new Map<string, AddonServerStatus>();
  private sending = Promise.resolve();
  private timer: NodeJS.Timeout;

  constructor(private client: Pick<AgentClient, 'addonStatus'>, private log: (line: string) => void) {
    this.timer = setInterval(() => { if (this.waiting.size) void this.flush(); }, RETRY_MS);
    this.timer.unref();
  }

  push(id: string, s: AddonServerStatus): void {
    this.waiting.set(id, s);
    void this.flush();
  }

  /** Send what waits (one report at a time; one that failed waits for the next try unless a newer status came). */
  flush(): Promise<void> {
    this.sending = this.sending.then(async () => {
      if (!this.waiting.size) return;
      const batch = [...this.waiting];
      this.waiting.clear();
      try {
        await this.client.addonStatus({ addons: batch.map(([id, s]) => ({ id, ...s })) });
      } catch (e) {
        if (e instanceof AgentHttpError && e.status < 500) { this.log(`add-on status: the server refused it: ${e.message}`); return; }
        for (const [id, s] of batch) if (!this.waiting.has(id)) this.waiting.set(id, s);
      }
    });
    return this.sending;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    // At most 2 s for the last batch; the bound itself must not keep a stopping agent's process alive after the batch went.
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
