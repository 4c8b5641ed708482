// Companions: processes `slipway server` runs beside itself (the router, the local agent), each in
// a session of its own so they outlive a crash of the server. Each is recorded in the data folder
// (pid, instance id, version); a restarted server asks the recorded pid's socket who it is and
// adopts it if it is the same companion of the same version, instead of starting a duplicate.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../app-context.js';
import { askIdentity } from './identity-socket.js';
import { companionVersion } from './companion-version.js';

/** The CLI a companion runs as, by absolute path (this build's own). */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/slipway.js');

/** `key`: what the companion was started with that a restarted server must share to adopt it (the server URL, the port). */
export interface CompanionRecord { kind: string; pid: number; instance: string; version: string; key: string; started_at: string }
export interface CompanionLaunch { args: string[]; env: Record<string, string> }

/** Whether process `pid`'s environment carries SLIPWAY_COMPANION_INSTANCE=`instance` (false when it cannot be read). */
export function carriesInstance(pid: number, instance: string): boolean {
  try { return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`SLIPWAY_COMPANION_INSTANCE=${instance}`); } catch { return false; }
}

/** Whether `pid` runs: a zombie no one has reaped yet (an adopted companion's parent is not this server) has ended. */
export function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return true; /* no /proc: the signal said it runs */ }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Companion {
  readonly socket: string;
  private record: string;
  private logFile: string;
  current?: CompanionRecord;
  /** The running companion was found running and adopted, not started by this server. */
  adopted = false;
  /** How the companion this server started ended (its exit code or signal), once it has. */
  ended?: { pid: number; how: string };
  /** What the last adoptOrStart was given: a supervisor starts the companion again with it. */
  private last?: { key: string; launch: () => Promise<CompanionLaunch> };

  /** The version this server adopts (a companion of any other is replaced, as in an upgrade). */
  private version: string;

  /** `versionTag`: the server's SLIPWAY_TEST_COMPANION_VERSION_TAG (tests and operators only), passed on to the companion it starts. */
  constructor(private o: { dir: string; kind: 'router' | 'agent'; log: Logger; readyMs?: number; versionTag?: string }) {
    this.version = companionVersion(o.versionTag);
    fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    this.socket = path.join(o.dir, `${o.kind}.sock`);
    this.record = path.join(o.dir, `${o.kind}.json`);
    this.logFile = path.join(o.dir, `${o.kind}.log`);
  }

  /**
   * The recorded process if it still runs and is this companion (any version): it says so on its
   * socket, or, too busy or hung to answer, its environment carries the instance this server gave it
   * (`answering` false: never adopted, but stopped or replaced, so no second one runs beside it). A
   * pid the kernel gave to another process since is never adopted, nor signalled.
   */
  async running(): Promise<(CompanionRecord & { answering: boolean }) | undefined> {
    let rec: CompanionRecord;
    try { rec = JSON.parse(fs.readFileSync(this.record, 'utf8')) as CompanionRecord; } catch { return undefined; }
    if (!alive(rec.pid)) return undefined;
    const id = await askIdentity(this.socket);
    if (id && id.kind === this.o.kind && id.instance === rec.instance && id.pid === rec.pid) return { ...rec, version: id.version, answering: true };
    return carriesInstance(rec.pid, rec.instance) ? { ...rec, answering: false } : undefined;
  }

  /** Adopt the running companion of this version, else start one (`launch` is asked only then) and wait until it is ready. */
  async adoptOrStart(key: string, launch: () => Promise<CompanionLaunch>): Promise<{ adopted: boolean; record: CompanionRecord }> {
    this.last = { key, launch };
    const found = await this.running();
    if (found?.answering && found.version === this.version && found.key === key) {
      this.current = found;
      this.adopted = true;
      this.o.log.info(`${this.o.kind}: adopted the running process ${found.pid} (instance ${found.instance}, since ${found.started_at})`);
      return { adopted: true, record: found };
    }
    if (found) {
      this.o.log.info(found.answering
        ? `${this.o.kind}: process ${found.pid} runs ${found.version} for ${found.key}; this server is ${this.version} for ${key}: replacing it`
        : `${this.o.kind}: process ${found.pid} runs but does not answer on its socket: replacing it`);
      // An agent hands its dynos over to the next process (SIGUSR2) instead of stopping them, as an upgrade should.
      await this.stopProcess(found, 10_000, this.o.kind === 'agent' ? 'SIGUSR2' : 'SIGTERM');
    }
    const { args, env } = await launch();
    const instance = randomBytes(8).toString('hex');
    const out = fs.openSync(this.logFile, 'a', 0o600);
    const child = spawn(process.execPath, [BIN, this.o.kind, ...args], {
      detached: true, stdio: ['ignore', out, out], cwd: this.o.dir,
      env: { ...env, SLIPWAY_COMPANION_SOCKET: this.socket, SLIPWAY_COMPANION_INSTANCE: instance, ...(this.o.versionTag ? { SLIPWAY_TEST_COMPANION_VERSION_TAG: this.o.versionTag } : {}) },
    });
    fs.closeSync(out);
    child.once('exit', (code, signal) => { this.ended = { pid: child.pid!, how: signal ? `killed by ${signal}` : `exit code ${code}` }; });
    child.unref();
    const record: CompanionRecord = { kind: this.o.kind, pid: child.pid!, instance, version: this.version, key, started_at: new Date().toISOString() };
    fs.writeFileSync(this.record, JSON.stringify(record), { mode: 0o600 });
    this.current = record;
    const deadline = Date.now() + (this.o.readyMs ?? 30_000);
    for (;;) {
      const id = await askIdentity(this.socket, 500);
      if (id?.instance === instance && id.ready) break;
      if (!alive(record.pid) || Date.now() > deadline) {
        const why = `the ${this.o.kind} process ${alive(record.pid) ? 'did not become ready' : 'exited'}; its output (${this.logFile}) ends with:\n${this.tail()}`;
        // Never left behind half-started: the next start would find a process that is not ready.
        if (alive(record.pid)) await this.stopProcess(record, 5000);
        fs.rmSync(this.record, { force: true });
        this.current = undefined;
        throw new Error(why);
      }
      await sleep(100);
    }
    this.o.log.info(`${this.o.kind}: started process ${record.pid} (instance ${instance}; output in ${this.logFile})`);
    return { adopted: false, record };
  }

  /** Start the companion again as the last adoptOrStart did (after it died: a supervisor calls this). */
  restart(): Promise<{ adopted: boolean; record: CompanionRecord }> {
    if (!this.last) return Promise.reject(new Error(`the ${this.o.kind} was never started`));
    return this.adoptOrStart(this.last.key, this.last.launch);
  }

  /** The kind of companion (router, agent), for log lines. */
  get kind(): string { return this.o.kind; }

  /** Stop the companion this server runs (SIGTERM, then SIGKILL after `graceMs`): `stopped` within the grace, `killed` past it, `none` when no process of it ran (it had died). */
  async stop(graceMs: number): Promise<'stopped' | 'killed' | 'none'> {
    const found = await this.running();
    const how = found ? await this.stopProcess(found, graceMs) : 'none';
    fs.rmSync(this.record, { force: true });
    this.current = undefined;
    return how;
  }

  /** SIGKILL the companion process `pid` (a hung one: SIGTERM would not be handled) and wait until it has ended. */
  async kill(pid: number): Promise<void> {
    if (this.current?.pid !== pid) return;
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    while (alive(pid)) await sleep(20);
  }

  private async stopProcess(rec: CompanionRecord, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<'stopped' | 'killed'> {
    process.kill(rec.pid, signal);
    const until = Date.now() + graceMs;
    while (alive(rec.pid) && Date.now() < until) await sleep(50);
    if (!alive(rec.pid)) return 'stopped';
    process.kill(rec.pid, 'SIGKILL');
    while (alive(rec.pid)) await sleep(20);
    return 'killed';
  }

  private tail(): string {
    try { return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-15).join('\n'); } catch { return '(no output)'; }
  }
}
