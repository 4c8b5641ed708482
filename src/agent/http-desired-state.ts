// The desired-state port of a remote agent: the same two calls the embedded agent makes on the
// store (StoreDesiredState), over /agent/v1/dynos. The last desired set is kept with its ETag, so
// a read that finds nothing new costs a 304, and `watch` long-polls for the next change.
import type { DesiredDyno, DesiredStatePort, ObservedDyno } from '../runtime/desired-state.js';
import type { AgentClient } from './client.js';

export class HttpDesiredState implements DesiredStatePort {
  private etag?: string;
  private last: DesiredDyno[] = [];
  /** Whether the last report reached the server (a swap drains an old dyno only once the router was told). */
  reported = false;

  constructor(private client: Pick<AgentClient, 'desiredDynos' | 'reportDynos'>) {}

  /** The agent id is the token's: the server answers for the agent that asks. */
  async desired(_agentId: string): Promise<DesiredDyno[]> {
    await this.fetch(0);
    return this.last;
  }

  /** Wait up to `waitMs` for the desired set to change; true when it did (the next `desired` returns it). `stop` ends the wait. */
  watch(waitMs: number, stop?: AbortSignal): Promise<boolean> { return this.fetch(waitMs, stop); }

  async report(_agentId: string, observed: ObservedDyno[]): Promise<void> {
    this.reported = false;
    await this.client.reportDynos({ dynos: observed });
    this.reported = true;
  }

  private async fetch(waitMs: number, stop?: AbortSignal): Promise<boolean> {
    const r = await this.client.desiredDynos(this.etag, waitMs, stop);
    if (!r) return false;
    const changed = r.etag !== this.etag;
    this.etag = r.etag;
    this.last = r.dynos;
    return changed;
  }
}
