// Router log lines as one long upload to the server (router-wire.ts, LOG_STREAM_PATH): a batch is
// written to the open upload and counts as sent once the server says it has taken its bytes. A
// batch the server has not taken when the upload breaks fails (the shipper keeps it and sends it
// again on a new upload). A server without the route (404) is remembered: the caller posts batches.
import http from 'node:http';
import https from 'node:https';
import { LOG_STREAM_PATH, LOG_STREAM_TYPE } from './router-wire.js';

/** A batch not taken within this long breaks the upload (the server is stuck or gone). */
const TAKEN_WITHIN_MS = 10_000;

interface Waiting { upTo: number; resolve(): void; reject(e: Error): void }

export class LogStream {
  /** False once the server answered that it has no such route (an older server). */
  supported = true;
  private req?: http.ClientRequest;
  private sent = 0;
  private taken = 0;
  private waiting: Waiting[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private o: { server: string; token: string }) {}

  /** Write `parts` (whole wire lines); resolves once the server has taken them. */
  send(parts: Array<Buffer | string>): Promise<void> {
    const bytes = parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
    if (!bytes) return Promise.resolve();
    const req = this.req ?? this.open();
    // One write for the batch's parts.
    req.cork();
    for (const p of parts) if (p.length) req.write(p);
    req.uncork();
    this.sent += bytes;
    const upTo = this.sent;
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ upTo, resolve, reject });
      this.timer ??= setTimeout(() => this.broken(new Error(`the server took no router log lines in ${TAKEN_WITHIN_MS / 1000} s`)), TAKEN_WITHIN_MS);
    });
  }

  /** End the upload (what was written and not yet taken fails). */
  close(): void { this.broken(new Error('closed')); }

  private open(): http.ClientRequest {
    const u = new URL(this.o.server + LOG_STREAM_PATH);
    this.sent = 0;
    this.taken = 0;
    const req = (u.protocol === 'https:' ? https : http).request(u, {
      method: 'POST', headers: { authorization: `Bearer ${this.o.token}`, 'content-type': LOG_STREAM_TYPE, 'transfer-encoding': 'chunked' },
    });
    this.req = req;
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        if (res.statusCode === 404) this.supported = false;
        res.resume();
        this.broken(new Error(`HTTP ${res.statusCode} from ${u.pathname}`), req);
        return;
      }
      let rest = '';
      res.setEncoding('latin1');
      res.on('data', (text: string) => {
        const all = rest + text;
        const cut = all.lastIndexOf('\n');
        if (cut < 0) { rest = all; return; }
        rest = all.slice(cut + 1);
        const last = all.slice(all.lastIndexOf('\n', cut - 1) + 1, cut);
        if (req === this.req) this.tookUpTo(Number(last));
      });
      res.on('end', () => this.broken(new Error(`${u.pathname} ended`), req));
      res.on('error', (e) => this.broken(e, req));
    });
    req.on('error', (e) => this.broken(e, req));
    req.flushHeaders();
    return req;
  }

  private tookUpTo(n: number): void {
    if (!Number.isSafeInteger(n) || n <= this.taken) return;
    this.taken = n;
    let i = 0;
    for (; i < this.waiting.length && this.waiting[i]!.upTo <= n; i++) this.waiting[i]!.resolve();
    this.waiting = this.waiting.slice(i);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.length) this.timer = setTimeout(() => this.broken(new Error(`the server took no router log lines in ${TAKEN_WITHIN_MS / 1000} s`)), TAKEN_WITHIN_MS);
  }

  /** The upload `req` (the open one if not said) is over: what it has not had taken fails. */
  private broken(e: Error, req = this.req): void {
    if (!req || req !== this.req) return;
    this.req = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(e);
    req.destroy();
  }
}
