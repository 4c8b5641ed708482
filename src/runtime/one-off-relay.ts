// The input of attached one-offs that run on agents, relayed through this server process: the
// client's connection (rendezvous, or `slipway run`'s input stream) writes, the agent holding the
// job reads (`GET /agent/v1/jobs/:id/input`). A relay joins two live connections, so it lives in
// memory; the one-off itself (row and job) is in the store.
import { PassThrough } from 'node:stream';
import { splitAtEndOfInput } from './one-off-terminal.js';

/** An attached one-off whose client never connects reads end of input after this long. */
export const ATTACH_WAIT_MS = 60_000;

interface Relay { stream: PassThrough; terminal: boolean; client: boolean; agent: boolean }

export class InputRelays {
  private relays = new Map<string, Relay>();

  /** A relay for a new attached one-off; it ends by itself if no client attaches in time. */
  open(id: string, terminal: boolean): void {
    const r: Relay = { stream: new PassThrough(), terminal, client: false, agent: false };
    this.relays.set(id, r);
    setTimeout(() => { if (!r.client) this.end(id); }, ATTACH_WAIT_MS).unref();
  }

  /**
   * The client attaches: what it sends goes to the dyno (a terminal gets every byte; piped input
   * ends at the CLI's ^D). Undefined when there is no relay here or a client holds it already.
   */
  attachClient(id: string): { write(chunk: Buffer): void; end(): void; stream: PassThrough } | undefined {
    const r = this.relays.get(id);
    if (!r || r.client) return undefined;
    r.client = true;
    return {
      write: (c) => {
        if (r.stream.writableEnded) return;
        if (r.terminal) { r.stream.write(c); return; }
        const { data, ended } = splitAtEndOfInput(c);
        if (data.length) r.stream.write(data);
        if (ended) r.stream.end();
      },
      end: () => this.end(id),
      stream: r.stream,
    };
  }

  /** Raw bytes from a client that sends its input as a plain stream (`slipway run`); ends with it. */
  attachPlain(id: string): PassThrough | undefined {
    const r = this.relays.get(id);
    if (!r || r.client) return undefined;
    r.client = true;
    return r.stream;
  }

  /** The agent's side, once: the stream of input (undefined: no relay here, or taken already). */
  forAgent(id: string): PassThrough | undefined {
    const r = this.relays.get(id);
    if (!r || r.agent) return undefined;
    r.agent = true;
    return r.stream;
  }

  /** Whether this process relays the one-off's input (false after a restart: its client is gone). */
  has(id: string): boolean { return this.relays.has(id); }

  /** End of input (the client went, or said so); an agent that connects later reads end of input at once. */
  end(id: string): void {
    const r = this.relays.get(id);
    if (!r || r.stream.writableEnded) return;
    r.stream.end();
    setTimeout(() => this.relays.delete(id), 10 * 60_000).unref();
  }
}
