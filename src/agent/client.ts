// The agent's side of the protocol over HTTP: JSON calls with the agent token and instance header,
// and the artifact transfers (source and slug downloads, the slug upload) streamed to and from disk.
import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import {
  INSTANCE_HEADER, PROTOCOL_VERSION, type ClaimedJob, type DesiredDynosResponse, type AddonStatusReport, type DynoLogBatch, type ObservedReport, type ObservedReportResponse, type EventBatch, type EventBatchResponse, type FinishRequest, type LeaseResponse, type RegisterRequest, type RegisterResponse, type SpacesPlanResponse,
} from './protocol.js';

/** The server answered with an error (`id` from docs/errors.md); network failures stay plain errors. */
export class AgentHttpError extends Error {
  constructor(readonly status: number, readonly id: string, message: string) { super(message); }
}

export class AgentClient {
  constructor(private server: string, private token: string, readonly instance: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, [INSTANCE_HEADER]: this.instance, ...extra };
  }

  private async call<T>(method: string, p: string, body?: unknown, timeoutMs = 30_000, stop?: AbortSignal): Promise<T | undefined> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const res = await fetch(this.server + p, {
      method, headers: this.headers(body !== undefined ? { 'content-type': 'application/json' } : {}),
      body: body !== undefined ? JSON.stringify(body) : undefined, signal: stop ? AbortSignal.any([stop, timeout]) : timeout,
    });
    return this.answer<T>(res, `${method} ${p}`);
  }

  private async answer<T>(res: Response, what: string): Promise<T | undefined> {
    const text = await res.text();
    let json: unknown;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    if (!res.ok) {
      const err = json as { id?: string; message?: string } | undefined;
      throw new AgentHttpError(res.status, err?.id ?? 'http_error', err?.message ?? `HTTP ${res.status} from ${what}`);
    }
    return res.status === 204 ? undefined : json as T;
  }

  register(r: Omit<RegisterRequest, 'protocol_version'>): Promise<RegisterResponse> {
    return this.call<RegisterResponse>('POST', '/agent/v1/register', { protocol_version: PROTOCOL_VERSION, ...r }) as Promise<RegisterResponse>;
  }
  async heartbeat(): Promise<void> { await this.call('POST', '/agent/v1/heartbeat', {}); }
  /** A job leased to this agent, or undefined after `waitMs` without one; `stop` ends the wait (the server leases nothing to a client that hung up). */
  claim(waitMs: number, stop?: AbortSignal): Promise<ClaimedJob | undefined> { return this.call<ClaimedJob>('POST', '/agent/v1/jobs/claim', { wait_ms: waitMs }, waitMs + 30_000, stop); }
  /** A one-off dyno placed on this agent, or undefined after `waitMs` without one. */
  claimOneOff(waitMs: number, stop?: AbortSignal): Promise<ClaimedJob | undefined> { return this.call<ClaimedJob>('POST', '/agent/v1/one-offs/claim', { wait_ms: waitMs }, waitMs + 30_000, stop); }
  /** Whether job `jobId` was asked to stop (or lost), answered as soon as it is, else after `waitMs`; `stop` ends the wait. */
  cancelWatch(jobId: string, waitMs: number, stop: AbortSignal): Promise<LeaseResponse> { return this.call<LeaseResponse>('POST', `/agent/v1/jobs/${jobId}/cancel-watch`, { wait_ms: waitMs }, waitMs + 30_000, stop) as Promise<LeaseResponse>; }
  lease(jobId: string): Promise<LeaseResponse> { return this.call<LeaseResponse>('POST', `/agent/v1/jobs/${jobId}/lease`, {}) as Promise<LeaseResponse>; }
  events(jobId: string, batch: EventBatch): Promise<EventBatchResponse> { return this.call<EventBatchResponse>('POST', `/agent/v1/jobs/${jobId}/events`, batch, 120_000) as Promise<EventBatchResponse>; }
  async finish(jobId: string, f: FinishRequest): Promise<void> { await this.call('POST', `/agent/v1/jobs/${jobId}/finish`, f, 120_000); }

  /** Stream an artifact of the job (`source` or `slug`) to `dest`. */
  download(jobId: string, what: 'source' | 'slug', dest: string): Promise<void> { return this.fetchTo(`/agent/v1/jobs/${jobId}/${what}`, what, dest); }

  /**
   * An attached one-off's input, as a stream that is there at once (the answer comes when the
   * client first types): it ends with the client's input, or when the connection fails.
   */
  input(jobId: string, signal: AbortSignal): Readable {
    const out = new PassThrough();
    void (async () => {
      const res = await fetch(`${this.server}/agent/v1/jobs/${jobId}/input`, { headers: this.headers(), signal });
      if (!res.ok || !res.body) { await this.answer(res, 'GET input'); return; }
      await pipeline(Readable.fromWeb(res.body as ReadableStream), out);
    })().catch(() => out.end());
    return out;
  }

  /** Stream the slug of one of this agent's dynos to `dest`. */
  downloadSlug(slugId: string, dest: string): Promise<void> { return this.fetchTo(`/agent/v1/slugs/${encodeURIComponent(slugId)}`, 'slug', dest); }

  private async fetchTo(p: string, what: string, dest: string): Promise<void> {
    const res = await fetch(this.server + p, { headers: this.headers(), signal: AbortSignal.timeout(600_000) });
    if (!res.ok || !res.body) { await this.answer(res, `GET ${what}`); throw new Error(`downloading the ${what}: HTTP ${res.status}`); }
    await pipeline(Readable.fromWeb(res.body as ReadableStream), fs.createWriteStream(dest, { mode: 0o600 }));
  }

  /** This agent's desired dynos; with `etag`, waits up to `waitMs` (or until `stop`) for a change and answers undefined (304) if none came. */
  desiredDynos(etag: string | undefined, waitMs: number, stop?: AbortSignal): Promise<DesiredDynosResponse | undefined> { return this.longPoll('/agent/v1/dynos', etag, waitMs, stop); }

  /** The private spaces this agent runs and its part in their overlay, as desiredDynos (an agent the operator allowed to run spaces). */
  spacesPlan(etag: string | undefined, waitMs: number, stop?: AbortSignal): Promise<SpacesPlanResponse | undefined> { return this.longPoll('/agent/v1/spaces', etag, waitMs, stop); }

  private async longPoll<T>(p: string, etag: string | undefined, waitMs: number, stop?: AbortSignal): Promise<T | undefined> {
    const timeout = AbortSignal.timeout(waitMs + 30_000);
    const res = await fetch(`${this.server}${p}?wait_ms=${waitMs}`, { headers: this.headers(etag ? { 'if-none-match': etag } : {}), signal: stop ? AbortSignal.any([stop, timeout]) : timeout });
    if (res.status === 304) { await res.body?.cancel(); return undefined; }
    return this.answer<T>(res, `GET ${p}`);
  }

  reportDynos(r: ObservedReport): Promise<ObservedReportResponse> { return this.call<ObservedReportResponse>('PUT', '/agent/v1/dynos/observed', r) as Promise<ObservedReportResponse>; }
  async dynoLogs(b: DynoLogBatch): Promise<void> { await this.call('POST', '/agent/v1/dynos/logs', b); }
  async addonStatus(r: AddonStatusReport): Promise<void> { await this.call('PUT', '/agent/v1/addons/status', r); }

  /** Upload a build's slug (before the build's end event). */
  async uploadSlug(jobId: string, file: string): Promise<void> {
    const res = await fetch(`${this.server}/agent/v1/jobs/${jobId}/slug`, {
      method: 'PUT', headers: this.headers({ 'content-type': 'application/octet-stream', 'content-length': String(fs.statSync(file).size) }),
      body: Readable.toWeb(fs.createReadStream(file)) as unknown as BodyInit, duplex: 'half', signal: AbortSignal.timeout(600_000),
    } as RequestInit);
    await this.answer(res, 'PUT slug');
  }
}
