// nginx's access log followed and sent to the server from a thread of its own at low CPU priority
// (nginx-log-worker.ts): the router process's main thread keeps to the routing table and nginx's
// reloads, and under load nginx and the dynos run before the log's reading and sending.
import { Worker } from 'node:worker_threads';

export interface NginxLogThreadData { file: string; server: string; token: string; maxLines: number }
export type NginxLogToThread = { type: 'names'; names: Array<[string, string]> } | { type: 'stop'; flush: boolean };
type FromThread = { type: 'ready' } | { type: 'reopen' } | { type: 'stopped' };

export class NginxLogThread {
  private worker: Worker;
  private sent = new Map<string, string>();
  private ready: Promise<void>;
  private stopped?: Promise<void>;

  /** Start following `file` (made anew, empty: start before nginx opens it); `reopen`: have nginx reopen its log (after a rotation). */
  constructor(data: NginxLogThreadData, reopen: () => void, say: (line: string) => void) {
    this.worker = new Worker(new URL('./nginx-log-worker.js', import.meta.url), { workerData: data });
    let isReady: () => void;
    let failed: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => { isReady = resolve; failed = reject; });
    this.worker.on('message', (m: FromThread) => {
      if (m.type === 'ready') isReady();
      else if (m.type === 'reopen') reopen();
    });
    this.worker.on('error', (e: Error) => { failed(e); say(`the access log thread failed (${e.message}): router log lines are not sent until the router restarts`); });
  }

  /** Once the log file exists and is followed. */
  started(): Promise<void> { return this.ready; }

  /** Upstream addresses' dyno names (only those not sent before go). */
  names(entries: Iterable<[string, string]>): void {
    const fresh: Array<[string, string]> = [];
    for (const [addr, name] of entries) if (this.sent.get(addr) !== name) { this.sent.set(addr, name); fresh.push([addr, name]); }
    if (fresh.length) this.worker.postMessage({ type: 'names', names: fresh } satisfies NginxLogToThread);
  }

  /** Read the log's last lines, send what waits (`flush`), and end the thread. */
  stop(flush: boolean): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const done = () => { void this.worker.terminate().then(() => resolve()); };
      this.worker.on('message', (m: FromThread) => { if (m.type === 'stopped') done(); });
      this.worker.once('exit', () => resolve());
      this.worker.postMessage({ type: 'stop', flush } satisfies NginxLogToThread);
    });
    return this.stopped;
  }
}
