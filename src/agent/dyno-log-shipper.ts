// Dyno output on an agent goes to the apps' logs on the server, in batches (every 500 ms), each line
// with the time the agent read it (a batch's arrival, or the server's return, is not the line's time); while
// the server is away up to MAX_LINES wait, then the oldest are dropped and the count is logged.
import { AgentHttpError, type AgentClient } from './client.js';

const MAX_LINES = 20_000;
const EVERY_MS = 500;

export class DynoLogShipper {
  private lines: Array<{ app_id: string; source: string; line: string; at: string }> = [];
  private dropped = 0;
  private sending = Promise.resolve();
  private timer: NodeJS.Timeout;

  constructor(private client: Pick<AgentClient, 'dynoLogs'>, private log: (line: string) => void) {
    this.timer = setInterval(() => { void this.flush(); }, EVERY_MS);
  }

  push(appId: string, source: string, line: string): void {
    this.lines.push({ app_id: appId, source, line, at: new Date().toISOString() });
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
      } catch (e) {
        // Refused (not a failure to reach the server): sending it again cannot help.
        if (e instanceof AgentHttpError && e.status < 500) { this.log(`dyno logs: the server refused ${batch.length} line(s): ${e.message}`); return; }
        this.lines.unshift(...batch);
        while (this.lines.length > MAX_LINES) { this.lines.shift(); this.dropped++; }
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
