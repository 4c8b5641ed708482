// Start a database server for a test run through the sandbox, on a free loopback port, and wait
// until it says it is ready. Shared by the ephemeral Postgres and Redis providers.
import fs from 'node:fs';
import net from 'node:net';
import type { Sandbox, Started } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

export interface LocalServerSpec {
  sandbox: Sandbox;
  argv: (port: number) => string[];
  dir: string;
  marker: string;
  ready: RegExp;
  what: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** A fixed port (a long-lived add-on keeps its URL across restarts); else a free one. */
  port?: number;
  /** The add-on's own network namespace (see addon-network.ts). */
  netns?: string;
  /** The server outlives this process (an app's add-on on an agent): its output goes to `file`, whose fds `open` gives for each start. */
  outlive?: OutliveOutput;
}

/** Where an outliving server's output goes: a new start's fds (output, bwrap's status), and the output file read for its ready line. */
export interface OutliveOutput { open(): { output: number; status: number }; file: string }

const READ_MS = 100;

/** Follow an outliving server's output file from its start: calls `listen` with what was written since; the returned stop reads it a last time. */
function followFile(file: string, listen: (c: Buffer) => void): () => void {
  let offset = 0;
  const read = () => {
    try {
      const data = fs.readFileSync(file);
      if (data.length > offset) { listen(data.subarray(offset)); offset = data.length; }
    } catch { /* not written yet */ }
  };
  const timer = setInterval(read, READ_MS);
  return () => { clearInterval(timer); read(); };
}

/** Start the server; retries on a port taken in the meantime; rejects with the server's own words. */
export async function startLocalServer(s: LocalServerSpec): Promise<{ port: number; proc: Started }> {
  let lastError = '';
  for (let attempt = 0; attempt < (s.port ? 1 : 3); attempt++) {
    const port = s.port ?? await freePort();
    let out = '';
    let done = false;
    let onReady!: () => void;
    const ready = new Promise<void>((r) => { onReady = r; });
    const listen = (c: Buffer) => { if (done) return; out += c; if (s.ready.test(out)) onReady(); };
    const files = s.outlive?.open();
    let proc: Started;
    try {
      proc = s.sandbox.start({
        argv: s.argv(port), cwd: s.dir, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', ...s.env }, writable: [s.dir], marker: s.marker, netns: s.netns,
        ...files ? { outlive: files } : { onStdout: listen, onStderr: listen },
      });
    } finally {
      // The server holds its own copies of the fds.
      if (files) { fs.closeSync(files.output); fs.closeSync(files.status); }
    }
    const unfollow = s.outlive ? followFile(s.outlive.file, listen) : () => {};
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), s.timeoutMs ?? 30_000).unref());
    const outcome = await Promise.race([ready.then(() => 'ready' as const), proc.result, timeout]).finally(unfollow);
    // Only the start's output is read (for its ready line and errors): a long-lived server's later lines are not held here.
    done = true;
    if (outcome === 'ready') return { port, proc };
    if (outcome !== 'timeout') lastError = `${s.what} ${describeResult(outcome)}: ${out.trim().split('\n').slice(-3).join(' / ')}`;
    else { await proc.stop(); lastError = `${s.what} did not become ready within ${(s.timeoutMs ?? 30_000) / 1000} s: ${out.trim().split('\n').slice(-3).join(' / ')}`; }
    if (!/address already in use|could not bind/i.test(out)) break;
  }
  throw new Error(lastError);
}
