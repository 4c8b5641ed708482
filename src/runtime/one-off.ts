// One-off dynos (`run`): the current release's slug and config, a command, output kept and
// streamed, the exit code recorded — then the dyno and its workspace are gone.
import type { Sandbox } from '../sandbox/sandbox.js';
import type { Tenant } from '../sandbox/user.js';
import type { LogBook } from '../logs/log-book.js';
import type { DynoNetworks } from '../spaces/space-network.js';
import { dynoSize, type DynoSize } from '../core/dyno-size.js';
import { PassThrough } from 'node:stream';
import type { TerminalSize } from './one-off-terminal.js';
import { lineSplitter, runOneOffProcess } from './one-off-process.js';
import { ATTACH_WAIT_MS, InputRelays } from './one-off-relay.js';

export interface OneOff {
  stop?: () => void; id: string; appId: string; name: string; command: string; size: string; state: 'starting' | 'up' | 'down'; exitCode: number | null; createdAt: string; logKey: string;
  /** Attached: the keyboard of the client (ended when its input ends or it goes); detached: none. */
  input?: PassThrough;
  /** Attached with a terminal: the pseudo-terminal's window size. */
  terminal?: TerminalSize;
  /** A client has connected to the attached one-off. */
  attached?: boolean;
}

/** How a one-off is run: attached (its stdin is the client's, maybe on a terminal) or detached (output into the app log). */
export interface OneOffMode { attach: boolean; terminal?: TerminalSize }

export class OneOffDynos {
  private runs = new Map<string, OneOff>();
  /** The input of attached one-offs that agents run (their client is connected to this process). */
  readonly relays = new InputRelays();
  private seq = 0;
  constructor(private o: { sandbox: Sandbox; workRoot: string; logs: LogBook; timeoutMs: number; network?: DynoNetworks; appLog?: (appId: string, source: string, message: string) => void }) {}

  get(id: string): OneOff | undefined { return this.runs.get(id); }
  /** Stop a one-off dyno by name (run.3) or id; false when there is no such running dyno. */
  stop(appId: string, nameOrId: string): boolean {
    const r = [...this.runs.values()].find((x) => x.appId === appId && x.state !== 'down' && (x.name === nameOrId || x.id === nameOrId));
    r?.stop?.();
    return !!r;
  }

  list(appId: string): OneOff[] { return [...this.runs.values()].filter((r) => r.appId === appId && r.state !== 'down'); }

  /** `release.tenant`: the app's own uid (undefined: the sandbox user). */
  start(appId: string, release: { slugFile: string; config: Record<string, string>; tenant?: Tenant }, command: string, env: Record<string, string>, size: DynoSize = dynoSize(undefined), mode: OneOffMode = { attach: false }): OneOff {
    const id = `run-${appId.slice(0, 8)}-${Date.now().toString(36)}-${++this.seq}`;
    const run: OneOff = { id, appId, name: `run.${this.seq}`, command, size: size.name, state: 'starting', exitCode: null, createdAt: new Date().toISOString(), logKey: `dynos/${id}` };
    if (mode.attach) {
      run.input = new PassThrough();
      run.terminal = mode.terminal;
      setTimeout(() => { if (!run.attached) run.input!.end(); }, ATTACH_WAIT_MS).unref();
    }
    this.runs.set(id, run);
    this.o.logs.open(run.logKey);
    const platform = (message: string) => this.o.appLog?.(appId, `heroku[${run.name}]`, message);
    platform(`Starting process with command \`${command}\``);
    void (async () => {
      const ac = new AbortController();
      run.stop = () => ac.abort();
      // Detached output goes to the app's log as app[run.N] lines, as Heroku's logplex has it.
      const lines = lineSplitter();
      const toAppLog = (ls: string[]) => { for (const l of ls) this.o.appLog?.(appId, `app[${run.name}]`, l); };
      try {
        const spec = { id, appId, name: run.name, command, config: release.config, env, size: size.name, tenant: release.tenant, terminal: run.terminal };
        run.exitCode = await runOneOffProcess(spec, release.slugFile, this.o, {
          stdin: run.input, signal: ac.signal,
          up: () => { run.state = 'up'; platform('State changed from starting to up'); },
          output: (c) => { this.o.logs.append(run.logKey, c); if (!mode.attach) toAppLog(lines.push(c)); },
        });
        if (!mode.attach) toAppLog(lines.end());
      } catch (e) {
        this.o.logs.append(run.logKey, `${(e as Error).message}\n`);
        run.exitCode = 1;
      } finally {
        run.state = 'down';
        run.input?.destroy();
        platform(`Process exited with status ${run.exitCode}`);
        platform('State changed from up to complete');
        this.o.logs.close(run.logKey);
        setTimeout(() => this.runs.delete(id), 10 * 60_000).unref();
      }
    })();
    return run;
  }
}
