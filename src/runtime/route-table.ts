// The router's table: the web dynos that are up, per app, on any agent (at the address that agent
// reported). Held in memory and refreshed when a report, a deploy or a scale changes it and on an
// interval, so no request waits on the store; when the store cannot be read the last table serves.
import type { WebTarget } from './router.js';

export class RouteTable {
  private table = new Map<string, WebTarget[]>();
  private started = 0;
  private applied = 0;
  private failing = false;

  constructor(private load: () => Promise<Map<string, WebTarget[]>>, private warn: (line: string) => void) {}

  /** The app's web dynos the router may send traffic to. */
  targets(appId: string): WebTarget[] { return this.table.get(appId) ?? []; }

  /** Read the table again; an older read that ends later never replaces a newer one. */
  async refresh(): Promise<void> {
    const mine = ++this.started;
    try {
      const next = await this.load();
      if (mine > this.applied) { this.table = next; this.applied = mine; }
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.warn(`routing table: the store cannot be read (${(e as Error).message}); the router keeps its last table`);
      this.failing = true;
    }
  }
}
