// The router process's copy of the routing table: read from the server's NDJSON stream (snapshot,
// then changes), reconnecting with back-off; while the server is away the last table serves.
import type { WebTarget } from '../runtime/router.js';
import { thisHostCheck } from '../core/this-host-address.js';
import { routableTargets, sayRefusedOnce } from '../runtime/own-host-targets.js';
import { PING_MS, TABLE_PATH, type RouterApp, type RouterCertificate, type TableMessage } from './router-wire.js';

/** The server refused the token: retrying cannot help. */
export class RouterRefused extends Error {}

export interface TableClientOptions {
  server: string;
  token: string;
  instance: string;
  /** The table changed (a chunk of the stream applied whole): the data plane serves it, then the router reports its version. */
  onApplied(version: number): void;
  log(line: string): void;
  /** Whether this router runs on the server's host (its local agent's dynos may be at this host's addresses). */
  besideServer: boolean;
}

export class TableClient {
  private apps = new Map<string, RouterApp>();
  private byName = new Map<string, RouterApp>();
  private byHost = new Map<string, string>();
  private certificates = new Map<string, RouterCertificate>();
  private abort = new AbortController();
  version = -1;
  /** Whether a snapshot was ever received (the router has something to serve). */
  loaded = false;
  connected = false;

  private refused: (t: WebTarget) => void;

  constructor(private o: TableClientOptions) { this.refused = sayRefusedOnce(o.log, 'this router\'s host'); }

  /** An app by name as the router's lookup wants it. */
  lookup(name: string): { appId: string; dynos: WebTarget[]; trusted?: readonly string[]; internal?: boolean; maintenance?: boolean } | undefined {
    const a = this.byName.get(name);
    return a && { appId: a.id, dynos: a.dynos, trusted: a.trusted ?? undefined, internal: a.internal, maintenance: a.maintenance };
  }

  customHost(host: string): string | undefined { return this.byHost.get(host); }

  /** The certificate a custom host name presents on the TLS port (none: no handshake). */
  certificateFor(host: string): RouterCertificate | undefined { return this.certificates.get(host); }

  /** Every app of the table (the nginx data plane writes its configuration from them). */
  all(): RouterApp[] { return [...this.apps.values()]; }

  /** Follow the stream until stopped; resolves on stop, rejects with RouterRefused on a 401. */
  async run(): Promise<void> {
    let wait = 250;
    let away = false;
    while (!this.abort.signal.aborted) {
      try {
        await this.follow(() => { wait = 250; if (away) this.o.log('the server is back; following its routing table again'); away = false; });
      } catch (e) {
        if (e instanceof RouterRefused) throw e;
      }
      this.connected = false;
      if (this.abort.signal.aborted) return;
      if (!away) this.o.log(`the server at ${this.o.server} is away; serving the last routing table (${this.apps.size} apps) and reconnecting`);
      away = true;
      // The listener goes with the wait (one per reconnect would pile up while the server is away).
      await new Promise<void>((r) => {
        const woken = () => { clearTimeout(t); r(); };
        const t = setTimeout(() => { this.abort.signal.removeEventListener('abort', woken); r(); }, wait);
        this.abort.signal.addEventListener('abort', woken, { once: true });
      });
      wait = Math.min(5000, wait * 2);
    }
  }

  stop(): void { this.abort.abort(); }

  private async follow(onOpen: () => void): Promise<void> {
    const quiet = new AbortController();
    const stop = () => quiet.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    // Nothing heard for three pings: the connection is dead even if the socket does not say so.
    let watchdog = setTimeout(stop, 3 * PING_MS);
    try {
      const res = await fetch(`${this.o.server}${TABLE_PATH}?instance=${this.o.instance}`, { headers: { authorization: `Bearer ${this.o.token}` }, signal: quiet.signal });
      if (res.status === 401) throw new RouterRefused(`the server refused this router: ${((await res.json().catch(() => ({}))) as { message?: string }).message ?? 'HTTP 401'}`);
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      this.connected = true;
      onOpen();
      let rest = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        clearTimeout(watchdog);
        watchdog = setTimeout(stop, 3 * PING_MS);
        const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
        rest = lines.pop() ?? '';
        // The whole chunk first (a change arrives in one write), then the data plane is told once.
        let changed = false;
        const atThisHost = thisHostCheck();
        for (const l of lines) if (l) changed = this.apply(JSON.parse(l) as TableMessage, atThisHost) || changed;
        if (changed) this.o.onApplied(this.version);
      }
    } finally {
      clearTimeout(watchdog);
      this.abort.signal.removeEventListener('abort', stop);
    }
  }

  /** Whether the table or its version changed. */
  private apply(m: TableMessage, atThisHost: (host: string) => boolean): boolean {
    // Checked here as well as by the server: this router may run on another host than the server.
    const routable = (a: RouterApp): RouterApp => ({ ...a, dynos: routableTargets(a.dynos, { atThisHost, besideServer: this.o.besideServer, refused: this.refused }) });
    if (m.type === 'snapshot') { this.apps = new Map(m.apps.map((a) => [a.id, routable(a)])); this.loaded = true; }
    else if (m.type === 'app') this.apps.set(m.app.id, routable(m.app));
    else if (m.type === 'gone') this.apps.delete(m.id);
    if (m.type !== 'ping') {
      this.byName = new Map([...this.apps.values()].map((a) => [a.name, a]));
      this.byHost = new Map([...this.apps.values()].flatMap((a) => a.hostnames.map((h) => [h, a.name] as const)));
      this.certificates = new Map([...this.apps.values()].flatMap((a) => (a.certificates ?? []).map((c) => [c.hostname, c] as const)));
    }
    const changed = m.type !== 'ping' || m.version !== this.version;
    this.version = m.version;
    return changed;
  }
}
