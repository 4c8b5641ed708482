// The process of a one-off dyno, wherever it runs (the server for server-bound apps, an agent for
// the rest): the slug unpacked in a fresh workspace, the command in the app's sandbox (on a
// pseudo-terminal when the client has one), and the workspace and network gone afterwards.
import type { Readable } from 'node:stream';
import type { Sandbox } from '../sandbox/sandbox.js';
import { forTenant } from '../sandbox/tenant-sandbox.js';
import type { Tenant } from '../sandbox/user.js';
import { removeWorkspace } from '../ci/workspace.js';
import { unpackSlug, dynoEnv, dynoCommand } from './slug-workspace.js';
import type { DynoNetworks } from '../spaces/space-network.js';
import { dynoSize, limitsFor } from '../core/dyno-size.js';
import { describeResult } from '../sandbox/result.js';
import { r15Lines } from './memory-quota.js';
import { hostTool } from '../sandbox/host-tools.js';
import { inTerminal, type TerminalSize } from './one-off-terminal.js';

/** What a one-off runs: everything its host needs, nothing of the store. */
export interface OneOffSpec {
  id: string;
  appId: string;
  /** run.N: its $DYNO. */
  name: string;
  command: string;
  /** The release's config vars, then the client's extra variables over them. */
  config: Record<string, string>;
  env: Record<string, string>;
  size: string;
  /** The app's own uid (undefined: the sandbox user). */
  tenant?: Tenant;
  /** Attached from a terminal: its window size. */
  terminal?: TerminalSize;
}

export interface OneOffHost { sandbox: Sandbox; workRoot: string; network?: DynoNetworks; timeoutMs: number }

/** Hooks of one run: `stdin` (attached; none: end of input at once), `up` once it starts, every chunk of output. */
export interface OneOffIo { stdin?: Readable; up(): void; output(chunk: Buffer): void; signal: AbortSignal }

/** Run the one-off to its end: its exit code (128+9 when it was killed without one). */
export async function runOneOffProcess(spec: OneOffSpec, slugFile: string, host: OneOffHost, io: OneOffIo): Promise<number> {
  const size = dynoSize(spec.size);
  const dynoNet = await host.network?.forApp(spec.appId, spec.id);
  try {
    const sandbox = forTenant(host.sandbox, spec.tenant);
    const ws = await unpackSlug(sandbox, host.workRoot, spec.id, slugFile, limitsFor(size).diskMb);
    io.up();
    const argv = spec.terminal ? inTerminal(hostTool('script'), dynoCommand(ws, spec.command), spec.terminal) : dynoCommand(ws, spec.command);
    const r = await sandbox.run({
      argv, cwd: ws.app, env: dynoEnv(ws, spec.config, { ...spec.env, DYNO: spec.name, PORT: '5000' }), stdin: io.stdin,
      writable: [ws.root], tmpDir: ws.tmp, marker: spec.id, netns: dynoNet?.netns, limits: limitsFor(size), timeoutMs: host.timeoutMs, signal: io.signal, onStdout: io.output, onStderr: io.output,
    });
    if (r.limitExceeded) io.output(Buffer.from(`${r.limitExceeded.resource === 'memory' ? r15Lines(r.limitExceeded.usedMb, size.quotaMb).join('\n') : `${spec.name} ${describeResult(r)}`}\n`));
    return r.exitCode ?? 128 + 9;
  } finally {
    await dynoNet?.release();
    await removeWorkspace(host.workRoot, spec.id).catch((e: Error) => io.output(Buffer.from(`${e.message}\n`)));
  }
}

/** Output split into whole lines for the app's log (app[run.N]); `end` gives the last partial line. */
export function lineSplitter(): { push(chunk: Buffer): string[]; end(): string[] } {
  let partial = '';
  return {
    push(chunk) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      return lines.map((l) => l.replace(/\r$/, ''));
    },
    end() { const last = partial; partial = ''; return last ? [last] : []; },
  };
}
