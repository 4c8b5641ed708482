// Router log lines in Heroku's shape (`at=info method=GET path="/" … status=200 bytes=12`), so
// tools that read Heroku router logs read these too.

export interface RouterRequestLog {
  method: string; path: string; host: string; requestId: string; fwd: string;
  dyno: string; connectMs: number; serviceMs: number; status: number; bytes: number; protocol: string;
}

const quote = (s: string) => `"${s.replace(/["\\\n\r]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`))}"`;

export function accessLine(r: RouterRequestLog): string {
  return `at=info method=${r.method} path=${quote(r.path)} host=${r.host} request_id=${r.requestId} fwd=${quote(r.fwd)} dyno=${r.dyno} connect=${r.connectMs}ms service=${r.serviceMs}ms status=${r.status} bytes=${r.bytes} protocol=${r.protocol}`;
}

export interface RouterErrorLog { code: string; desc: string; method: string; path: string; host: string; requestId?: string; fwd?: string; dyno?: string; status: number; serviceMs?: number }

export function errorLine(r: RouterErrorLog): string {
  return `at=error code=${r.code} desc=${quote(r.desc)} method=${r.method} path=${quote(r.path)} host=${r.host}`
    + (r.requestId ? ` request_id=${r.requestId}` : '') + (r.fwd !== undefined ? ` fwd=${quote(r.fwd)}` : '')
    + ` dyno=${r.dyno ?? ''} status=${r.status}` + (r.serviceMs !== undefined ? ` service=${r.serviceMs}ms` : '');
}
