// Dyno output on an agent goes to the apps' logs on the server, in batches (every 500 ms); while
// the server is away up to MAX_LINES wait, then the oldest are dropped and the count is logged.
import type { AgentClient } from './client.js';

const MAX_LINES = 20_000;
const EVERY_MS = 500;

export class DynoLogShipper {
  private lines: Array<{ app_id: string; source: string; line: string }> = [];
  private dropped = 0;
  private sending = Promise.resolve();
  private timer: NodeJS.Timeout;

  constructor(private client: Pick<AgentClient, 'dynoLogs'>, private log: (line: string) => void) {
    this.timer = setInterval(() => { void this.flush(); }, EVERY_MS);
  }

  push(appId: string, source: string, line: string): void {
    this.lines.push({ app_id: appId, source, line });
    if (this.lines.length > MAX_LINES) { this.lines.shift(); this.dropped++; }
  }

  /** Send what waits (one batch at a time; a failed batch is kept for the next try). */
  flush(): Promise<void> {
    this.sending = this.sending.then(async () => {
      if (!this.lines.length) return;
      const batch = this.lines.splice(0, 5000);
      try {
        await this.client.dynoLogs({ lines: batch });
        if (this.dropped) { this.log(`dyno logs: ${this.dropped} line(s) were dropped while the server was away`); this.dropped = 0; }
      } catch {
        this.lines.unshift(...batch);
        while (this.lines.length > MAX_LINES) { this.lines.shift(); this.dropped++; }
      }
    });
    return this.sending;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 2000))]);
  }
}
