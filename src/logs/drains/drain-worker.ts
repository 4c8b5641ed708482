// One drain at work: follows its app's log from the moment it starts, frames each line, and
// delivers batches to the endpoint — syslog over TCP or TLS (one kept connection), or an HTTP(S)
// POST per batch — retrying with back-off while the endpoint is away, within the queue's bound.
import net from 'node:net';
import tls from 'node:tls';
import type { LogBook } from '../log-book.js';
import { DrainQueue } from './drain-queue.js';
import { httpDrainHeaders, syslogFrame } from './drain-frame.js';

/** Lines a drain holds while its endpoint is away (logplex keeps about as many). */
export const DRAIN_BUFFER_LINES = 10_000;
const BATCH = 500;
const MAX_BACKOFF_MS = 30_000;

export interface DrainTarget { id: string; url: string; token: string }

export class DrainWorker {
  private readonly queue = new DrainQueue(DRAIN_BUFFER_LINES);
  private readonly ac = new AbortController();
  private socket?: net.Socket;
  private wake?: () => void;
  private frameSeq = 0;

  constructor(readonly drain: DrainTarget, private readonly logs: Pick<LogBook, 'follow' | 'size' | 'ensureOpen'>, private readonly key: string) {}

  start(): void {
    this.logs.ensureOpen(this.key);
    void this.follow();
    void this.send();
  }

  stop(): void {
    this.ac.abort();
    this.wake?.();
    this.socket?.destroy();
  }

  private async follow(): Promise<void> {
    let rest = '';
    for await (const chunk of this.logs.follow(this.key, this.logs.size(this.key), this.ac.signal)) {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l) this.queue.push(l);
      this.wake?.();
    }
  }

  private async send(): Promise<void> {
    let backoff = 0;
    while (!this.ac.signal.aborted) {
      if (!this.queue.length) { await new Promise<void>((r) => { this.wake = r; }); continue; }
      const batch = this.queue.take(BATCH);
      const frames = batch.lines.flatMap((l) => syslogFrame(l, this.drain.token) ?? []);
      try {
        await this.deliver(frames);
        backoff = 0;
      } catch {
        this.queue.giveBack(batch);
        backoff = Math.min(MAX_BACKOFF_MS, Math.max(250, backoff * 2));
        await new Promise<void>((r) => { const t = setTimeout(r, backoff); this.ac.signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true }); });
      }
    }
  }

  private async deliver(frames: string[]): Promise<void> {
    if (!frames.length) return;
    const url = new URL(this.drain.url);
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      const res = await fetch(url, {
        method: 'POST', body: frames.join(''), signal: AbortSignal.any([this.ac.signal, AbortSignal.timeout(10_000)]),
        headers: httpDrainHeaders(this.drain.token, frames.length, `${this.drain.id}-${++this.frameSeq}`),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return;
    }
    const socket = this.socket ?? await this.connect(url);
    await new Promise<void>((resolve, reject) => socket.write(frames.join(''), (e) => (e ? reject(e) : resolve())));
  }

  private connect(url: URL): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const port = Number(url.port);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const s = url.protocol === 'syslog+tls:' ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }, () => done()) : net.connect({ host, port }, () => done());
      const done = () => { this.socket = s; s.off('error', reject); resolve(s); };
      s.once('error', reject);
      s.on('error', () => s.destroy());
      s.on('close', () => { if (this.socket === s) this.socket = undefined; });
      s.on('data', () => { /* a syslog receiver says nothing back */ });
      s.setTimeout(10_000, () => s.destroy(new Error('timed out')));
    });
  }
}
