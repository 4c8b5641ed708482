// git's smart-HTTP protocol served by `git http-backend` (the real thing) as a CGI program: the
// request body goes to its stdin, its CGI headers become the response's status and headers, and
// the rest of its output streams back as the body.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { startHost } from '../sandbox/host.js';

export interface CgiRequest {
  method: string;
  /** Path below the project root: `/<repo>.git/info/refs`. */
  pathInfo: string;
  query: string;
  headers: IncomingHttpHeaders;
  remoteAddr: string;
  remoteUser: string;
  body: Readable | null;
}

export interface CgiResponse { status: number; headers: Record<string, string>; body: Readable; done: Promise<number | null> }

export function runHttpBackend(projectRoot: string, req: CgiRequest, extraEnv: Record<string, string>): Promise<CgiResponse> {
  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: req.method,
    PATH_INFO: req.pathInfo,
    QUERY_STRING: req.query,
    REMOTE_ADDR: req.remoteAddr,
    REMOTE_USER: req.remoteUser,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    ...extraEnv,
  };
  const { child, kill } = startHost('git', ['http-backend'], { env, timeoutMs: 3_600_000 });
  const done = new Promise<number | null>((resolve) => { child.on('close', (code) => resolve(code)); child.on('error', () => resolve(null)); });
  // git may stop reading early (a pack over receive.maxInputSize): EPIPE then, not a crash.
  child.stdin.on('error', () => { req.body?.unpipe(); req.body?.resume(); });
  if (req.body) {
    req.body.on('error', kill);
    req.body.pipe(child.stdin as Writable);
  } else child.stdin.end();
  child.stderr.on('data', () => { /* http-backend's own complaints reach the client through its status */ });

  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
      if (end < 0) return;
      child.stdout.off('data', onData);
      child.stdout.pause();
      const rest = head.subarray(end + (end === crlf ? 4 : 2));
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        if (name === 'status') status = Number.parseInt(value, 10) || 500;
        else headers[name] = value;
      }
      if (rest.length) child.stdout.unshift(rest);
      resolve({ status, headers, body: child.stdout, done });
    };
    child.stdout.on('data', onData);
    child.on('error', reject);
    child.on('close', () => reject(new Error('git http-backend ended before its headers')));
  });
}
