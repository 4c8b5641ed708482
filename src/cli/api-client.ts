// The CLI's only way to the server: JSON over HTTP with the bearer token.
import { CliError, EXIT } from './errors.js';
import type { CliCredentials } from './context.js';
import { connectionLost } from './connection-lost.js';

export class ApiClient {
  constructor(readonly creds: CliCredentials) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.send<T>(method, path, body)).json;
  }

  /** Every item of a list, following Heroku's Range pagination (206 + Next-Range) to its end. */
  async list<T>(path: string): Promise<T[]> {
    const all: T[] = [];
    let range: string | undefined;
    for (;;) {
      const { json, next } = await this.send<T[]>('GET', path, undefined, range);
      all.push(...json);
      if (!next || next === range) return all;
      range = next;
    }
  }

  private async send<T>(method: string, path: string, body?: unknown, range?: string): Promise<{ json: T; next?: string }> {
    let res: Response;
    try {
      res = await fetch(this.creds.url + path, {
        method,
        headers: {
          accept: 'application/vnd.heroku+json; version=3',
          ...(this.creds.token ? { authorization: `Bearer ${this.creds.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(range ? { range } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new CliError(`Cannot reach the Slipway server at ${this.creds.url} (${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}). Start it with \`slipway server\` or set SLIPWAY_URL.`, EXIT.unreachable);
    }
    let text: string;
    try { text = await res.text(); } catch (e) { throw connectionLost(this.creds.url, `reading the answer to ${method} ${path}`, e); }
    let json: unknown;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    if (res.status === 401) throw new CliError('Not logged in, or the token was refused. Run `slipway login` or set SLIPWAY_TOKEN.', EXIT.unreachable);
    if (!res.ok) {
      const err = json as { id?: string; message?: string } | undefined;
      throw new CliError(err?.message ? `${err.message}${err.id ? ` (${err.id})` : ''}` : `HTTP ${res.status} from ${method} ${path}`, res.status >= 500 ? EXIT.failed : EXIT.usage);
    }
    return { json: json as T, next: res.status === 206 ? res.headers.get('next-range') ?? undefined : undefined };
  }

  get<T>(path: string): Promise<T> { return this.request('GET', path); }
  post<T>(path: string, body: unknown = {}): Promise<T> { return this.request('POST', path, body); }
  patch<T>(path: string, body: unknown): Promise<T> { return this.request('PATCH', path, body); }
  delete<T>(path: string): Promise<T> { return this.request('DELETE', path); }

  /** Upload bytes to a (signed) URL. */
  async put(url: string, data: Buffer): Promise<void> {
    let res: Response;
    try { res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(data) }); } catch (e) { throw connectionLost(this.creds.url, 'uploading the source', e); }
    if (!res.ok) throw new CliError(`Uploading the source failed: HTTP ${res.status} ${await res.text()}`, EXIT.failed);
  }

  /** Send `input` as the body of a POST to `path` as it comes (until it ends or `signal` aborts); errors are said on stderr. */
  async upload(path: string, input: NodeJS.ReadableStream, signal: AbortSignal): Promise<void> {
    const { Readable } = await import('node:stream');
    try {
      const res = await fetch(this.creds.url + path, {
        method: 'POST', signal, duplex: 'half', body: Readable.toWeb(Readable.from(input)) as unknown as BodyInit,
        headers: { 'content-type': 'application/octet-stream', ...(this.creds.token ? { authorization: `Bearer ${this.creds.token}` } : {}) },
      } as RequestInit);
      if (!res.ok) process.stderr.write(`!    Could not send the input: HTTP ${res.status} ${(await res.text()).slice(0, 300)}\n`);
    } catch (e) {
      if (!signal.aborted) process.stderr.write(`!    Could not send the input: ${(e as Error).message}\n`);
    }
  }

  /**
   * Copy a (signed) stream URL to `out` until the server ends it. An answer that is not 2xx is said
   * on `err` (what, and the server's message) and gives false: the command goes on without it.
   */
  async stream(url: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr, headers: Record<string, string> = {}): Promise<boolean> {
    try {
      const res = await fetch(url, { headers });
      if (!res.ok || !res.body) {
        const text = await res.text().catch(() => '');
        let message = text.trim().slice(0, 300);
        try { message = (JSON.parse(text) as { message?: string }).message ?? message; } catch { /* plain text */ }
        err.write(`!    Could not follow the output at ${url.split('?')[0]}: HTTP ${res.status}${message ? `: ${message}` : ''}\n`);
        return false;
      }
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) out.write(chunk);
      return true;
    } catch (e) {
      throw connectionLost(this.creds.url, 'following output', e);
    }
  }
}
