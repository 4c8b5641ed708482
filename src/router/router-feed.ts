// The control plane's side of the router processes: the table they are sent (published when the
// app table or a dyno report changes it), and what each connected router said it serves and has
// in flight, so a dyno is stopped only once every router has moved off it and finished its requests.
import { tableChanges, type RouterApp, type RouterState, type TableMessage } from './router-wire.js';

interface Seen { state: RouterState; at: number; connected: number }

/** In-flight counts of a router that went quiet are trusted this long (it may still be answering). */
const QUIET_MS = 60_000;

export class RouterFeed {
  private sent = new Map<string, string>();
  private subscribers = new Map<(ms: TableMessage[]) => void, () => void>();
  private routers = new Map<string, Seen>();
  private waiters = new Set<() => void>();
  /** Starts at the clock, so versions keep growing across server restarts (a router's late report of an older server's version never counts as applied). */
  version = Date.now();

  /** Routers that must be connected for a change to count as applied (1 once the server's own router process runs). */
  expected = 0;

  constructor(private load: () => RouterApp[]) {}

  /** Read the table again and send what changed to every router. */
  publish(): void {
    const apps = new Map(this.load().map((a) => [a.id, a]));
    const changes = tableChanges(this.sent, apps, this.version + 1);
    if (!changes.length) return;
    this.version++;
    this.sent = new Map([...apps].map(([id, a]) => [id, JSON.stringify(a)]));
    // A change reaches each router in one write, so a router applies it whole (not app by app).
    for (const s of this.subscribers.keys()) s(changes);
  }

  /** Publish, then wait (bounded) until the routers serve it: a change the API reports done is routed so. */
  async publishAndWait(ms = 10_000): Promise<void> {
    this.publish();
    await this.applied(this.version, Date.now() + ms);
  }

  /** Whether the table sent to routers has this app (an app a router's log line names, most likely). */
  has(appId: string): boolean { return this.sent.has(appId); }

  /** A router's stream: the snapshot now, then every change, a change's messages together (`end` on close); call the result when the stream ends. */
  subscribe(instance: string, send: (ms: TableMessage[]) => void, end: () => void): () => void {
    send([{ type: 'snapshot', version: this.version, apps: [...this.sent.values()].map((j) => JSON.parse(j) as RouterApp) }]);
    this.subscribers.set(send, end);
    const seen = this.routers.get(instance);
    if (seen) seen.connected++;
    else this.routers.set(instance, { state: { instance, seq: 0, version: -1, in_flight: {} }, at: Date.now(), connected: 1 });
    return () => {
      this.subscribers.delete(send);
      const r = this.routers.get(instance);
      if (r) { r.connected--; r.at = Date.now(); }
      this.wake();
    };
  }

  /** A router's report (an older one arriving late is ignored). */
  report(s: RouterState): void {
    const r = this.routers.get(s.instance) ?? { state: { ...s, seq: -1 }, at: 0, connected: 0 };
    if (s.seq <= r.state.seq) return;
    r.state = s;
    r.at = Date.now();
    this.routers.set(s.instance, r);
    this.wake();
  }

  /** Requests the routers have in flight to a dyno. */
  inFlight(dynoId: string): number {
    let n = 0;
    for (const [id, r] of this.routers) {
      if (!r.connected && Date.now() - r.at > QUIET_MS) { this.routers.delete(id); continue; }
      n += r.state.in_flight[dynoId] ?? 0;
    }
    return n;
  }

  /** Resolves once every connected router serves `version` or later (or at the deadline). */
  async applied(version: number, until: number): Promise<void> {
    const behind = () => {
      const live = [...this.routers.values()].filter((r) => r.connected > 0);
      // A router the server runs itself may be reconnecting (the server just restarted): wait for it.
      return live.length < this.expected || live.some((r) => r.state.version < version);
    };
    while (Date.now() < until && behind()) {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(t); this.waiters.delete(done); resolve(); };
        const t = setTimeout(done, Math.max(0, until - Date.now()));
        this.waiters.add(done);
      });
    }
  }

  /** The server stops: every stream ends (routers reconnect to the next server). */
  close(): void { for (const end of this.subscribers.values()) end(); this.subscribers.clear(); this.wake(); }

  private wake(): void { for (const w of [...this.waiters]) w(); }
}
