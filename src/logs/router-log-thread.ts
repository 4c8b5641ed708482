// Router log batches digested on a thread of their own at low CPU priority (router-log-worker.ts):
// the server's main thread keeps answering the API while a batch of thousands of lines is read, and
// under load the host's data plane runs before it. Nothing megabyte-sized is allocated per batch
// (each fresh megabyte is hundreds of page faults, and garbage a heap is collected for): a batch is
// received into a buffer the thread handed back, moves to the thread (not copied) and comes back
// with its digest, whose log buffer goes back to the thread once written (`release`). The thread
// starts with the first batch and stops after a minute without one (an idle server holds no second
// heap). A batch the thread failed on is refused (the router sends it again); a thread that fails
// three times in a row is given up and batches are digested here, as before it existed.
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { digestRouterLines, type Digest } from './router-log-digest.js';

const IDLE_MS = 60_000;
const GIVE_UP_AFTER = 3;
/** Buffers of received batches kept for the next ones (the largest). */
const KEEP_ROOMS = 2;
const MIN_ROOM = 256 * 1024;

/** What the thread is sent: a batch (`body[0, length)`), or a log buffer to fill again. */
export type ToLogThread = { id: number; body: ArrayBuffer; length: number; source: string } | { room: ArrayBuffer };
/** What it answers: a batch's digest, and the batch's buffer back. */
export interface FromLogThread { id: number; digest: Digest; body: ArrayBuffer }

export class RouterLogThread {
  private worker?: Worker;
  private seq = 0;
  private waiting = new Map<number, { resolve(d: Digest): void; reject(e: Error): void }>();
  private idle?: NodeJS.Timeout;
  private failures = 0;
  private rooms: ArrayBuffer[] = [];
  private ours = new WeakSet<ArrayBuffer>();

  constructor(private o: { idleMs?: number; onGiveUp?(e: Error): void } = {}) {}

  /** A batch read from `stream` (`size`: its length if known) into a buffer of ours; past `limit` bytes, `tooLarge()` is thrown. */
  async receive(stream: Readable, size: number | undefined, limit: number, tooLarge: () => Error): Promise<Buffer> {
    if (size !== undefined && size > limit) { stream.resume(); throw tooLarge(); }
    let buf = this.room(size ?? MIN_ROOM);
    let n = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (n + chunk.length > limit) throw tooLarge();
      if (n + chunk.length > buf.length) {
        const more = this.room(Math.max(n + chunk.length, buf.length * 2));
        buf.copy(more, 0, 0, n);
        buf = more;
      }
      n += chunk.copy(buf, n);
    }
    return buf.subarray(0, n);
  }

  /** The digest of `body` (router wire lines; handed over: the caller does not use it afterwards). */
  async digest(body: Buffer, source: string): Promise<Digest> {
    if (this.failures >= GIVE_UP_AFTER) return digestRouterLines(body, source, Date.now());
    clearTimeout(this.idle);
    try {
      const d = await new Promise<Digest>((resolve, reject) => {
        const w = this.started();
        const id = ++this.seq;
        this.waiting.set(id, { resolve, reject });
        // A buffer of ours moves as it is; another (a test's, Node's shared pool) is copied into one.
        let own = body;
        if (!this.ours.has(body.buffer as ArrayBuffer) || body.byteOffset !== 0) { own = this.room(body.length); body.copy(own); }
        this.ours.delete(own.buffer as ArrayBuffer);
        w.postMessage({ id, body: own.buffer as ArrayBuffer, length: body.length, source } satisfies ToLogThread, [own.buffer as ArrayBuffer]);
      });
      this.failures = 0;
      return d;
    } catch (e) {
      if (++this.failures >= GIVE_UP_AFTER) this.o.onGiveUp?.(e as Error);
      throw new Error(`the router log thread failed on this batch (${(e as Error).message}); send it again`, { cause: e });
    } finally {
      if (!this.waiting.size) this.idle = setTimeout(() => { void this.stop(); }, this.o.idleMs ?? IDLE_MS).unref();
    }
  }

  /** A digest's log written: its buffer goes back to the thread to be filled again. */
  release(d: Digest): void {
    const w = this.worker;
    if (w && d.log.buffer.byteLength) w.postMessage({ room: d.log.buffer as ArrayBuffer } satisfies ToLogThread, [d.log.buffer as ArrayBuffer]);
  }

  /** Whether the thread runs (started by a batch, not yet stopped for idleness). */
  get running(): boolean { return this.worker !== undefined; }

  async stop(): Promise<void> {
    clearTimeout(this.idle);
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }

  /** A buffer of ours of at least `size` bytes: a kept one, else a new one. */
  private room(size: number): Buffer {
    const i = this.rooms.findIndex((r) => r.byteLength >= size);
    const ab = i >= 0 ? this.rooms.splice(i, 1)[0]! : new ArrayBuffer(Math.max(MIN_ROOM, size));
    this.ours.add(ab);
    return Buffer.from(ab);
  }

  private keep(ab: ArrayBuffer): void {
    this.rooms.push(ab);
    this.rooms.sort((a, z) => z.byteLength - a.byteLength).splice(KEEP_ROOMS);
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./router-log-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 32 } });
    w.unref();
    w.on('message', (m: FromLogThread) => {
      this.keep(m.body);
      this.waiting.get(m.id)?.resolve(m.digest);
      this.waiting.delete(m.id);
    });
    const gone = (e: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
    };
    w.on('error', gone);
    w.on('exit', (code) => gone(new Error(`it exited (${code})`)));
    this.worker = w;
    return w;
  }
}
