// `slipway router`: the router as a process of its own. It follows the server's routing table
// (table-client.ts), routes with nginx or the Node router (data-plane.ts), sends its
// log lines back in batches and reports which table it serves and what it has in flight (so a
// dyno stops only after its requests are answered). While the server is away it keeps serving.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { serveIdentity } from '../companions/identity-socket.js';
import { companionVersion } from '../companions/companion-version.js';
import type { RouterConfig } from './router-config.js';
import { LogShipper } from './log-shipper.js';
import { TableClient } from './table-client.js';
import { reachesThisHost } from '../core/this-host-address.js';
import { chooseDataPlane, startDataPlane, type DataPlane } from './data-plane.js';
import { DROPPED_APPS_HEADER, LOGS_PATH, STATE_PATH, droppedAppsHeader, type RouterState } from './router-wire.js';

const say = (m: string) => console.log(`router: ${m}`);

/** Run the router until SIGTERM/SIGINT (then it finishes what it has in flight) or until its token is refused. */
export async function runRouter(c: RouterConfig): Promise<void> {
  const instance = c.companion?.instance ?? randomBytes(8).toString('hex');
  const post = (p: string, body: unknown, text?: Array<Buffer | string>, headers?: Record<string, string>) => postTo(c.server + p, c.token, text ?? [JSON.stringify(body)], text ? 'text/plain; charset=utf-8' : 'application/json', headers);
  // Assigned once it listens; the table is followed only after that.
  let plane: DataPlane | undefined = undefined;
  const state = new StateReporter((s) => post(STATE_PATH, s), instance, () => plane?.inFlight() ?? {});
  // Beside the server (its companion, or started on its host) the server's own local agent's dynos may be at this host's addresses.
  const besideServer = c.companion !== undefined || reachesThisHost(new URL(c.server).hostname);
  const table = new TableClient({ server: c.server, token: c.token, instance, onApplied: () => plane?.changed(), log: say, besideServer });
  const logs = new LogShipper({ maxLines: c.logBufferLines, send: (b) => post(`${LOGS_PATH}?dropped=${b.dropped}`, undefined, b.parts, b.droppedApps.length ? { [DROPPED_APPS_HEADER]: droppedAppsHeader(b.droppedApps) } : undefined) });
  plane = await startDataPlane(chooseDataPlane(c, say), c, { table, line: (appId, line, msec) => logs.push(appId, line, msec), wire: (data, lines) => logs.pushWire(data, lines), served: (v) => state.applied(v), say });
  say(`routing table from ${c.server}`);
  const closeIdentity = c.companion
    ? await serveIdentity(c.companion.socket, () => ({ kind: 'router', instance, pid: process.pid, version: companionVersion(c.companionVersionTag), ready: table.loaded && state.served >= 0 }))
    : undefined;
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const following = table.run();
  let refused: unknown;
  const why = await Promise.race([stopped, following.then(() => 'stopped', (e: unknown) => { refused = e; return 'refused'; })]);
  say(`${why}: finishing the requests in flight, then stopping`);
  table.stop();
  await plane.close(Boolean(refused));
  state.close();
  if (!refused) await logs.flush().catch(() => {});
  logs.close();
  await closeIdentity?.();
  await following.catch(() => {});
  if (refused) throw refused;
}

/** POST a body to the server, in parts (a log batch of up to a few MiB goes as it is kept, not copied); fails on a status that is not 2xx, or after 10 s. */
function postTo(url: string, token: string, parts: Array<Buffer | string>, type: string, headers?: Record<string, string>): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, {
      method: 'POST', timeout: 10_000, headers: { ...headers, authorization: `Bearer ${token}`, 'content-type': type, 'content-length': parts.reduce((n, p) => n + Buffer.byteLength(p), 0) },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode! >= 200 && res.statusCode! < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode} from ${u.pathname}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.pathname} in 10 s`)));
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}

/** Reports the table version served and the requests in flight per dyno: at once when the table changes, else when the counts do (at most every 50 ms). */
class StateReporter {
  private seq = 0;
  private version = -1;
  private last = '';
  /** The table version the data plane serves (-1: none yet). */
  get served(): number { return this.version; }
  private sending = false;
  private again = false;
  private timer: NodeJS.Timeout;

  constructor(private send: (s: RouterState) => Promise<void>, private instance: string, private inFlight: () => Record<string, number>) {
    this.timer = setInterval(() => { void this.flush(false); }, 50);
  }

  applied(version: number): void { this.version = version; void this.flush(true); }

  private async flush(force: boolean): Promise<void> {
    const counts = JSON.stringify(this.inFlight());
    if (!force && counts === this.last) return;
    if (this.sending) { this.again = true; return; }
    this.sending = true;
    try {
      // Counted after the version was applied: a dyno that left the table gains no request after this.
      await this.send({ instance: this.instance, seq: ++this.seq, version: this.version, in_flight: JSON.parse(counts) as Record<string, number> });
      this.last = counts;
    } catch { this.last = ''; /* the server is away: the next tick tries again */ } finally { this.sending = false; }
    if (this.again) { this.again = false; void this.flush(true); }
  }

  close(): void { clearInterval(this.timer); }
}
