// Start a database server for a test run through the sandbox, on a free loopback port, and wait
// until it says it is ready. Shared by the ephemeral Postgres and Redis providers.
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
}

/** Start the server; retries on a port taken in the meantime; rejects with the server's own words. */
export async function startLocalServer(s: LocalServerSpec): Promise<{ port: number; proc: Started }> {
  let lastError = '';
  for (let attempt = 0; attempt < (s.port ? 1 : 3); attempt++) {
    const port = s.port ?? await freePort();
    let out = '';
    let onReady!: () => void;
    const ready = new Promise<void>((r) => { onReady = r; });
    const listen = (c: Buffer) => { out += c; if (s.ready.test(out)) onReady(); };
    const proc = s.sandbox.start({ argv: s.argv(port), cwd: s.dir, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', ...s.env }, writable: [s.dir], marker: s.marker, netns: s.netns, onStdout: listen, onStderr: listen });
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), s.timeoutMs ?? 30_000).unref());
    const outcome = await Promise.race([ready.then(() => 'ready' as const), proc.result, timeout]);
    if (outcome === 'ready') return { port, proc };
    if (outcome !== 'timeout') lastError = `${s.what} ${describeResult(outcome)}: ${out.trim().split('\n').slice(-3).join(' / ')}`;
    else { await proc.stop(); lastError = `${s.what} did not become ready within ${(s.timeoutMs ?? 30_000) / 1000} s: ${out.trim().split('\n').slice(-3).join(' / ')}`; }
    if (!/address already in use|could not bind/i.test(out)) break;
  }
  throw new Error(lastError);
}
