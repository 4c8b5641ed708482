// Trusted host tools (git, tar) the control plane runs itself: not isolated, but through the same
// module, with the same result shape and a time limit, so nothing is spawned ad hoc. Programs are
// found through host-tools (absolute paths); `env`, when given, must come from the server, never a tenant.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { HOST_ENV, hostTool } from './host-tools.js';
import type { SandboxResult } from './result.js';

export interface HostResult extends SandboxResult { stdout: string; stderr: string }

export function runHost(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: Buffer | string; timeoutMs?: number; stdoutTo?: NodeJS.WritableStream } = {}): Promise<HostResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(hostTool(cmd), args, { cwd: opts.cwd, env: opts.env ?? HOST_ENV, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      resolve({ exitCode: null, signal: null, reason: 'spawn-failed', error: (e as Error).message, timedOut: false, isCanceled: false, durationMs: Date.now() - started, stdout: '', stderr: '' });
      return;
    }
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, opts.timeoutMs ?? 120_000);
    if (opts.stdoutTo) child.stdout.pipe(opts.stdoutTo); else child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    child.stdin.on('error', () => { /* the command may not read its input */ });
    child.stdin.end(opts.input ?? '');
    const done = (r: Partial<HostResult>) => {
      clearTimeout(timer);
      resolve({ exitCode: null, signal: null, reason: 'exited', timedOut, isCanceled: false, durationMs: Date.now() - started, stdout: out, stderr: err, ...r });
    };
    child.on('error', (e) => done({ reason: 'spawn-failed', error: e.message }));
    child.on('close', (code, signal) => done({ exitCode: code, signal, reason: timedOut ? 'timed-out' : signal ? 'signalled' : 'exited' }));
  });
}

/** A trusted host tool with its input and output as streams (git http-backend); killed with its group. */
export function startHost(cmd: string, args: string[], opts: { cwd?: string; env: Record<string, string>; timeoutMs: number }): { child: ChildProcessWithoutNullStreams; kill(): void } {
  const child = spawn(hostTool(cmd), args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const kill = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } };
  const timer = setTimeout(kill, opts.timeoutMs);
  child.on('close', () => clearTimeout(timer));
  child.on('error', () => clearTimeout(timer));
  return { child, kill };
}

/**
 * A trusted host daemon Slipway supervises itself (the nginx data plane): no time limit, output
 * to the callbacks, its own process group so it and its workers go together.
 */
export function startHostService(cmd: string, args: string[], opts: { cwd?: string; env: Record<string, string>; onOutput(line: string): void }): { child: ChildProcessWithoutNullStreams; signal(sig: NodeJS.Signals): void; killGroup(sig: NodeJS.Signals): void } {
  const child = spawn(hostTool(cmd), args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.end();
  for (const s of [child.stdout, child.stderr]) {
    let rest = '';
    s.on('data', (c: Buffer) => { const lines = (rest + c.toString()).split('\n'); rest = lines.pop() ?? ''; for (const l of lines) if (l) opts.onOutput(l); });
  }
  child.on('error', () => { /* reported by the caller through 'exit'/'error' */ });
  return {
    child,
    signal: (sig) => { try { child.kill(sig); } catch { /* gone */ } },
    killGroup: (sig) => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } },
  };
}
