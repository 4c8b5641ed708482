// The router's side of the agent protocol (docs/agent-protocol.md, "Routers"): the routing table
// as an NDJSON stream (a snapshot, then one line per app that changed), and what a router sends
// back (its log lines in batches; which table it serves and its requests in flight per dyno).
import type { WebTarget } from '../runtime/router.js';

/** Everything the router needs to route one app. */
export interface RouterApp {
  id: string;
  name: string;
  /** Custom domains (`domains:add`) that route to it. */
  hostnames: string[];
  /** The certificate (`certs:add`) each of those host names presents on the router's TLS port; a name without one gets no handshake. */
  certificates?: RouterCertificate[];
  maintenance: boolean;
  /** Internal routing (private spaces): not on the router at all. */
  internal: boolean;
  /** Its space's trusted IP ranges (null: not in a space). */
  trusted: string[] | null;
  /** Web dynos that are up, on any agent. */
  dynos: WebTarget[];
}

/** A custom domain's certificate: its chain and private key (PEM), `id` changing with either. */
export interface RouterCertificate { hostname: string; id: string; chain: string; key: string }

/** One line of the table stream; `version` grows with every change the server publishes. */
export type TableMessage =
  | { type: 'snapshot'; version: number; apps: RouterApp[] }
  | { type: 'app'; version: number; app: RouterApp }
  | { type: 'gone'; version: number; id: string }
  | { type: 'ping'; version: number };

/** What a router serves and has in flight; `seq` orders reports of one router process. */
export interface RouterState { instance: string; seq: number; version: number; in_flight: Record<string, number> }

/** Router log lines (Heroku's format) for apps' logs; `dropped`: lines lost while the server was away. */
/** `at`: when the router wrote the line (ISO 8601): its time in the app's log, however late the batch arrives. */
export interface RouterLogBatch { lines: Array<{ app_id: string; line: string; at?: string }>; dropped: number }

export const TABLE_PATH = '/agent/v1/router/table';
export const STATE_PATH = '/agent/v1/router/state';
export const LOGS_PATH = '/agent/v1/router/logs';
/** The server pings the stream this often; a router that hears nothing for 3 pings reconnects. */
export const PING_MS = 5000;

/** The messages that take `before` to `after` (apps keyed by id; a changed app is sent whole). */
export function tableChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, RouterApp>, version: number): TableMessage[] {
  const out: TableMessage[] = [];
  for (const [id, app] of after) if (before.get(id) !== JSON.stringify(app)) out.push({ type: 'app', version, app });
  for (const id of before.keys()) if (!after.has(id)) out.push({ type: 'gone', version, id });
  return out;
}
