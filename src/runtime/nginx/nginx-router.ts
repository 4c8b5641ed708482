// The native data plane (SLIPWAY_ROUTER=nginx): Slipway starts and supervises its own nginx under
// the data dir, rewrites its config from the dyno registry and reloads it, and follows its access
// log into the apps' logs. Deploys wait for a reload before old dynos drain.
import fs from 'node:fs';
import path from 'node:path';
import { canConnect } from '../boot-check.js';
import { startHostService, runHost } from '../../sandbox/host.js';
import { nginxConf, errorPagesConf, type NginxApp } from './nginx-conf.js';
import { parseEntry, routerLogLine } from './nginx-log.js';
import { AccessLogTail } from './access-log-tail.js';
import type { Logger } from '../../app-context.js';

export interface NginxRouterOptions {
  prefix: string;
  listenHost: string;
  listenPort: number;
  domain: string;
  timeoutMs: number;
  /** Every app with its web dynos that are up (what the router may send traffic to). */
  apps(): (NginxApp & { dynos: { host: string; port: number; name: string }[] })[];
  appLog(appId: string, lines: string[]): void;
  log: Logger;
}

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The master's children as [pid, title] ("nginx: worker process is shutting down"). */
/** Whether any process of a process group is left. */
function groupAlive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

function workers(master: number): [number, string][] {
  try {
    const pids = fs.readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return pids.map((p) => { try { return [p, fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()] as [number, string]; } catch { return [p, '']; } });
  } catch { return []; }
}

export class NginxRouter {
  private proc?: ReturnType<typeof startHostService>;
  private tail?: AccessLogTail;
  private current = '';
  private chain: Promise<void> = Promise.resolve();
  private closing = false;
  /** upstream "host:port" → dyno name; kept after a dyno leaves so its last requests are named. */
  private names = new Map<string, string>();
  /** Workers a reload replaced: they finish the requests they hold, then exit. */
  private retiring = new Set<number>();
  private readonly confFile: string;

  constructor(private o: NginxRouterOptions) { this.confFile = path.join(o.prefix, 'nginx.conf'); }

  get port(): number { return this.o.listenPort; }

  async start(): Promise<void> {
    const v = await runHost('nginx', ['-v'], { env: ENV, timeoutMs: 10_000 });
    if (v.reason === 'spawn-failed') throw new Error('SLIPWAY_ROUTER=nginx needs nginx on the PATH: install it with `apt-get install nginx-light` (or set SLIPWAY_ROUTER=node)');
    for (const d of ['temp/body', 'temp/proxy', 'temp/fastcgi', 'temp/uwsgi', 'temp/scgi']) fs.mkdirSync(path.join(this.o.prefix, d), { recursive: true, mode: 0o700 });
    this.killLeftover();
    this.tail = new AccessLogTail(path.join(this.o.prefix, 'access.log'), (lines) => this.onLog(lines), () => this.proc?.signal('SIGUSR1'));
    this.tail.start();
    fs.writeFileSync(path.join(this.o.prefix, 'error-pages.conf'), errorPagesConf());
    this.writeConf();
    const test = await runHost('nginx', ['-t', '-q', '-p', this.o.prefix, '-c', this.confFile], { env: ENV, timeoutMs: 30_000 });
    if (test.exitCode !== 0) throw new Error(`nginx refused the generated config: ${test.stderr.trim()}`);
    await this.spawn();
  }

  /** Rewrite the config from the registry; reload (and wait for the new workers) when it changed. */
  sync(): Promise<void> {
    const run = this.chain.then(() => this.reloadIfChanged());
    this.chain = run.catch((e) => this.o.log.error(`nginx router: ${(e as Error).message}`));
    return this.chain;
  }

  /** Wait (bounded) until workers from before the last reload have answered their requests and gone. */
  async drained(until: number): Promise<void> {
    const pid = this.proc?.child.pid;
    while (pid && Date.now() < until) {
      const alive = new Set(workers(pid).map(([p]) => p));
      for (const p of this.retiring) if (!alive.has(p)) this.retiring.delete(p);
      if (!this.retiring.size) return;
      await sleep(50);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const p = this.proc;
    if (p && p.child.exitCode === null && p.child.signalCode === null) {
      const exited = new Promise((r) => p.child.once('exit', r));
      p.signal('SIGQUIT'); // graceful: answer what is in flight
      if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]) === false) {
        p.killGroup('SIGTERM');
        if (await Promise.race([exited.then(() => true), sleep(2000).then(() => false)]) === false) p.killGroup('SIGKILL');
        await exited;
      }
    }
    this.tail?.stop();
  }

  /** An nginx of ours that outlived a Slipway that was killed: it holds the port and old routes. */
  private killLeftover(): void {
    try {
      const pid = Number(fs.readFileSync(path.join(this.o.prefix, 'nginx.pid'), 'utf8').trim());
      if (pid > 1 && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.confFile)) {
        this.o.log.warn(`nginx router: stopping a leftover nginx (pid ${pid})`);
        process.kill(-pid, 'SIGKILL');
      }
    } catch { /* none */ }
  }

  private writeConf(): boolean {
    const apps = this.o.apps();
    for (const a of apps) for (const d of a.dynos) this.names.set(`${d.host}:${d.port}`, d.name);
    const text = nginxConf({
      prefix: this.o.prefix, listenHost: this.o.listenHost, listenPort: this.o.listenPort, domain: this.o.domain,
      timeoutSeconds: Math.ceil(this.o.timeoutMs / 1000), user: process.getuid?.() === 0 ? 'root root' : undefined, apps,
    });
    if (text === this.current) return false;
    fs.writeFileSync(this.confFile, text);
    this.current = text;
    return true;
  }

  private async reloadIfChanged(): Promise<void> {
    const pid = this.proc?.child.pid;
    if (!pid || !this.writeConf()) return;
    const before = new Set(workers(pid).map(([p]) => p));
    for (const p of before) this.retiring.add(p);
    this.proc!.signal('SIGHUP');
    // The reload has taken effect once a new worker serves and every old one stopped accepting
    // (it retitles itself "… is shutting down" as it closes its listening sockets).
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const now = workers(pid);
      if (now.some(([p, t]) => !before.has(p) && t.endsWith('worker process')) && now.every(([p, t]) => !before.has(p) || t.includes('shutting down'))) return;
      await sleep(10);
    }
    throw new Error(`the reload did not take effect within 10 s; see ${path.join(this.o.prefix, 'error.log')}`);
  }

  private async spawn(): Promise<void> {
    const p = startHostService('nginx', ['-p', this.o.prefix, '-c', this.confFile], { env: ENV, cwd: this.o.prefix, onOutput: (l) => this.o.log.warn(`nginx: ${l}`) });
    this.proc = p;
    this.current = '';
    this.retiring.clear();
    this.writeConf();
    let exited = false;
    let up = false;
    p.child.once('exit', (code, signal) => {
      exited = true;
      p.killGroup('SIGKILL'); // its workers would keep the port
      if (this.closing || this.proc !== p || !up) return;
      this.o.log.error(`nginx router: nginx exited (${code ?? signal}); restarting it in 1 s`);
      this.restart(p.child.pid!, 1000);
    });
    const until = Date.now() + 15_000;
    while (!exited && Date.now() < until) {
      if (await canConnect(this.o.listenHost, this.o.listenPort)) { up = true; return; }
      await sleep(50);
    }
    throw new Error(`nginx did not start listening on ${this.o.listenHost}:${this.o.listenPort}; see ${path.join(this.o.prefix, 'error.log')}`);
  }

  /** Start nginx again once the dead one's workers are gone (they hold the port); keep trying, backing off. */
  private restart(deadGroup: number, delayMs: number): void {
    setTimeout(async () => {
      if (this.closing) return;
      for (const until = Date.now() + 5000; Date.now() < until && groupAlive(deadGroup);) await sleep(50);
      try {
        await this.spawn();
      } catch (e) {
        const next = Math.min(delayMs * 2, 30_000);
        this.o.log.error(`nginx router: ${(e as Error).message}; trying again in ${next / 1000} s`);
        this.restart(deadGroup, next);
      }
    }, delayMs);
  }

  /** One batch of access log lines → one append per app. */
  private onLog(lines: string[]): void {
    const byApp = new Map<string, string[]>();
    for (const l of lines) {
      const e = parseEntry(l);
      const r = e && routerLogLine(e, (addr) => this.names.get(addr));
      if (!r) continue;
      const list = byApp.get(r.appId);
      if (list) list.push(r.line); else byApp.set(r.appId, [r.line]);
    }
    for (const [appId, ls] of byApp) this.o.appLog(appId, ls);
  }
}
