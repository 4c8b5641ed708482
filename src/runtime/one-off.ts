// One-off dynos (`run`): the current release's slug and config, a command, output kept and
// streamed, the exit code recorded — then the dyno and its workspace are gone.
import type { Sandbox } from '../sandbox/sandbox.js';
import { forTenant } from '../sandbox/tenant-sandbox.js';
import type { Tenant } from '../sandbox/user.js';
import { removeWorkspace } from '../ci/workspace.js';
import { unpackSlug, dynoEnv, dynoCommand } from './slug-workspace.js';
import type { LogBook } from '../logs/log-book.js';
import type { DynoNetworks } from '../spaces/space-network.js';
import { dynoSize, limitsFor, type DynoSize } from '../core/dyno-size.js';
import { describeResult } from '../sandbox/result.js';
import { r15Lines } from './memory-quota.js';

export interface OneOff { stop?: () => void; id: string; appId: string; name: string; command: string; size: string; state: 'starting' | 'up' | 'down'; exitCode: number | null; createdAt: string; logKey: string }

export class OneOffDynos {
  private runs = new Map<string, OneOff>();
  private seq = 0;
  constructor(private o: { sandbox: Sandbox; workRoot: string; logs: LogBook; timeoutMs: number; network?: DynoNetworks }) {}

  get(id: string): OneOff | undefined { return this.runs.get(id); }
  /** Stop a one-off dyno by name (run.3) or id; false when there is no such running dyno. */
  stop(appId: string, nameOrId: string): boolean {
    const r = [...this.runs.values()].find((x) => x.appId === appId && x.state !== 'down' && (x.name === nameOrId || x.id === nameOrId));
    r?.stop?.();
    return !!r;
  }

  list(appId: string): OneOff[] { return [...this.runs.values()].filter((r) => r.appId === appId && r.state !== 'down'); }

  /** `release.tenant`: the app's own uid (undefined: the sandbox user). */
  start(appId: string, release: { slugFile: string; config: Record<string, string>; tenant?: Tenant }, command: string, env: Record<string, string>, size: DynoSize = dynoSize(undefined)): OneOff {
    const id = `run-${appId.slice(0, 8)}-${Date.now().toString(36)}-${++this.seq}`;
    const run: OneOff = { id, appId, name: `run.${this.seq}`, command, size: size.name, state: 'starting', exitCode: null, createdAt: new Date().toISOString(), logKey: `dynos/${id}` };
    this.runs.set(id, run);
    this.o.logs.open(run.logKey);
    void (async () => {
      let dynoNet: Awaited<ReturnType<DynoNetworks['forApp']>>;
      try {
        dynoNet = await this.o.network?.forApp(appId, id);
        const sandbox = forTenant(this.o.sandbox, release.tenant);
        const ws = await unpackSlug(sandbox, this.o.workRoot, id, release.slugFile, limitsFor(size).diskMb);
        run.state = 'up';
        const out = (c: Buffer) => this.o.logs.append(run.logKey, c);
        const ac = new AbortController();
        run.stop = () => ac.abort();
        const r = await sandbox.run({
          argv: dynoCommand(ws, command), cwd: ws.app, env: dynoEnv(ws, release.config, { ...env, DYNO: run.name, PORT: '5000' }),
          writable: [ws.root], tmpDir: ws.tmp, marker: id, netns: dynoNet?.netns, limits: limitsFor(size), timeoutMs: this.o.timeoutMs, signal: ac.signal, onStdout: out, onStderr: out,
        });
        if (r.limitExceeded) this.o.logs.append(run.logKey, `${r.limitExceeded.resource === 'memory' ? r15Lines(r.limitExceeded.usedMb, size.quotaMb).join('\n') : `${run.name} ${describeResult(r)}`}\n`);
        run.exitCode = r.exitCode ?? 128 + 9;
      } catch (e) {
        this.o.logs.append(run.logKey, `${(e as Error).message}\n`);
        run.exitCode = 1;
      } finally {
        run.state = 'down';
        await dynoNet?.release();
        this.o.logs.close(run.logKey);
        await removeWorkspace(this.o.workRoot, id).catch((e: Error) => this.o.logs.append(run.logKey, `${e.message}\n`));
        setTimeout(() => this.runs.delete(id), 10 * 60_000).unref();
      }
    })();
    return run;
  }
}
