// The router process's nginx data plane: an nginx it starts under its data dir, whose routes and
// custom domains' certificates it puts in nginx's tables (balancer-lua.ts: a deploy, a scale, an app
// created or destroyed, maintenance, a custom domain or a certificate changes nothing in nginx's
// configuration, which is written once at nginx's start and never reloaded), and whose buffered
// access log it passes on as Heroku-format router lines (nginx writes nearly all of them itself;
// the rest it turns into theirs). nginx runs in a process group of its own, so it outlives the
// server with the router process.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startHostService, runHost } from '../sandbox/host.js';
import { HOST_ENV } from '../sandbox/host-tools.js';
import { nginxConf, certificateCheckConf, certificateTable, certificateTableFile, routeTable, routeTableFile, controlSocket, pageSocket, PAGE_KINDS, FIELDS_MARK, STATUS_HOST, type RoutedApp } from '../runtime/nginx/nginx-conf.js';
import { BALANCER_LUA } from '../runtime/nginx/balancer-lua.js';
import { parseEntry, routerLogLine } from '../runtime/nginx/nginx-log.js';
import { AccessLogTail } from '../runtime/nginx/access-log-tail.js';
import { hexEndpoint, openConnectionCounts } from '../agent/dyno-connections.js';
import { certificateId } from '../runtime/custom-domains.js';
import type { RouterCertificate } from './router-wire.js';

export interface NginxDataPlaneOptions {
  prefix: string;
  /** nginx's ndk and lua modules (nginx-modules.ts). */
  modules: string[];
  listenHost: string;
  listenPort: number;
  /** A TLS port for custom domains' certificates (unset: none). */
  tlsPort?: number;
  domain: string;
  timeoutMs: number;
  /** One Heroku-format router line for an app's log (`msec`: when, as nginx's `$msec`). */
  line(appId: string, line: string, msec?: string): void;
  /** `lines` router wire lines (router-wire.ts) as nginx wrote them. */
  wire(data: Buffer, lines: number): void;
  say(line: string): void;
}

/** An app as the table gives it, its dynos named and with ids (for log lines and draining). */
export type PlaneApp = Omit<RoutedApp, 'dynos'> & { dynos: { id: string; host: string; port: number; name: string }[]; certificates?: RouterCertificate[] };

/** The files nginx's route table starts from (the balancer's Lua, the table): before nginx starts. */
export function writeRouteTable(prefix: string, apps: readonly RoutedApp[], domain: string): void {
  fs.mkdirSync(path.join(prefix, 'lua'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(prefix, 'lua', 'slipway.lua'), BALANCER_LUA);
  fs.writeFileSync(routeTableFile(prefix), routeTable(apps, domain));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const groupAlive = (pgid: number): boolean => { try { process.kill(-pgid, 0); return true; } catch { return false; } };

export class NginxDataPlane {
  private proc?: ReturnType<typeof startHostService>;
  private tail?: AccessLogTail;
  /** The table version served last (-1: none yet): what the status server of an nginx started now answers. */
  private generation = -1;
  private up = false;
  /** The status path (a dyno reaches the router's port too: it must not learn, or fake, what nginx serves). */
  private readonly statusToken = randomBytes(16).toString('hex');
  private apps: PlaneApp[] = [];
  private closing = false;
  /** upstream "host:port" → dyno name; kept after a dyno leaves so its last requests are named. */
  private names = new Map<string, string>();
  /** The route table nginx holds ('' while unknown: the next apply puts it). */
  private table = '';
  /** The certificate table nginx holds ('' while unknown, or none). */
  private certificates = '';
  /** The dynos of the table nginx holds, by id: their /proc/net/tcp endpoints. */
  private serving = new Map<string, string>();
  /** Dynos that left the table while nginx still had connections to them, by id. */
  private leaving = new Map<string, string>();
  private readonly confFile: string;
  /** Certificate files checked alone with `nginx -t`, and whether nginx could load each. */
  private loadable = new Map<string, boolean>();

  constructor(private o: NginxDataPlaneOptions) { this.confFile = path.join(o.prefix, 'nginx.conf'); }

  /** Check the config, start nginx and wait until it listens. */
  async start(apps: PlaneApp[]): Promise<void> {
    this.apps = apps;
    this.nameDynos();
    this.serving = this.dynoEndpoints();
    for (const d of ['temp/body', 'temp/proxy', 'temp/fastcgi', 'temp/uwsgi', 'temp/scgi', 'pages']) fs.mkdirSync(path.join(this.o.prefix, d), { recursive: true, mode: 0o700 });
    this.killLeftover();
    writeRouteTable(this.o.prefix, apps, this.o.domain);
    const longest = [controlSocket(this.o.prefix), ...PAGE_KINDS.map((k) => pageSocket(this.o.prefix, k))].find((f) => Buffer.byteLength(f) > 107);
    if (longest) throw new Error(`${longest} is too long a path for a socket (107 bytes at most): set SLIPWAY_ROUTER_DATA_DIR to a shorter one`);
    this.tail = new AccessLogTail(path.join(this.o.prefix, 'access.log'), (chunk) => this.onChunk(chunk), () => this.proc?.signal('SIGUSR1'));
    this.tail.start();
    await this.checkCertificates();
    await this.makePlaceholder();
    fs.writeFileSync(this.confFile, this.confText(this.generation));
    const test = await runHost('nginx', ['-t', '-q', '-e', 'stderr', '-p', this.o.prefix, '-c', this.confFile], { env: HOST_ENV, timeoutMs: 30_000 });
    if (test.exitCode !== 0) throw new Error(`nginx refused the generated config: ${test.stderr.trim()}`);
    await this.spawn();
  }

  /**
   * Serve `apps` as table `version`: their routes and certificates through nginx's tables (nothing
   * reloads). Returns once nginx serves them (both tables put); throws if nginx refuses one (the next
   * apply tries again).
   */
  async apply(apps: PlaneApp[], version: number): Promise<void> {
    this.apps = apps;
    this.nameDynos();
    if (!this.proc?.child.pid || !this.up) throw new Error('nginx is starting');
    await this.checkCertificates();
    const table = routeTable(apps, this.o.domain);
    if (table !== this.table) await this.putTable(table);
    const certificates = this.certificateTable();
    if (certificates !== this.certificates) {
      this.certificates = '';
      fs.writeFileSync(certificateTableFile(this.o.prefix), certificates);
      const answer = await this.control('PUT', '/certificates?prune=1', certificates);
      if (answer.trim() !== 'ok') throw new Error(`nginx did not take the certificate table: ${answer.trim().slice(0, 200)}`);
      this.certificates = certificates;
    }
    // Files no name leads to any more go only now (a handshake reads the file its name leads to).
    this.dropCertificateFiles();
    this.generation = version;
  }

  /**
   * Put the whole route table into nginx (what it does not hold is forgotten), written to the file
   * nginx loads at a restart first; then mark the dynos that left, whose requests nginx may
   * still be answering.
   */
  private async putTable(table: string): Promise<void> {
    this.table = '';
    fs.writeFileSync(routeTableFile(this.o.prefix), table);
    const answer = await this.control('PUT', '/routes?prune=1', table);
    if (answer.trim() !== 'ok') throw new Error(`nginx did not take the route table: ${answer.trim().slice(0, 200)}`);
    this.table = table;
    const now = this.dynoEndpoints();
    for (const [id, at] of this.serving) if (!now.has(id)) this.leaving.set(id, at);
    for (const id of now.keys()) this.leaving.delete(id);
    this.serving = now;
  }

  private dynoEndpoints(): Map<string, string> {
    return new Map(this.apps.filter((a) => !a.internal).flatMap((a) => a.dynos.map((d) => [d.id, hexEndpoint(d.host, d.port)] as const)));
  }

  /** A request to nginx's control socket (balancer-lua.ts); its body, or throws. */
  private control(method: string, p: string, body?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: controlSocket(this.o.prefix), method, path: p, headers: { host: 'control' }, agent: false, timeout: 5000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`nginx's control socket answered ${res.statusCode}: ${text.trim().slice(0, 200)}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('nginx\'s control socket did not answer within 5 s')));
      req.end(body);
    });
  }

  /** Whether nginx's status server answers table `version` (a worker with that configuration accepts). */
  private answers(version: number): Promise<boolean> {
    const host = this.o.listenHost === '0.0.0.0' ? '127.0.0.1' : this.o.listenHost === '::' ? '::1' : this.o.listenHost;
    return new Promise((resolve) => {
      const req = http.get({ host, port: this.o.listenPort, path: `/${this.statusToken}`, headers: { host: STATUS_HOST }, agent: false, timeout: 2000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolve(res.statusCode === 200 && body === String(version)));
        res.on('error', () => resolve(false));
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => { req.destroy(); resolve(false); });
    });
  }

  /**
   * Requests in flight per dyno that left the table: nginx's connections to it, established or being
   * opened (nginx sends a request to a dyno only on one; it closes an idle one within a second, so
   * none open means none in flight). A dyno is left out once it has none.
   */
  inFlight(): Record<string, number> {
    if (!this.leaving.size) return {};
    const open = openConnectionCounts();
    const out: Record<string, number> = {};
    for (const [id, at] of this.leaving) {
      const n = open.get(at) ?? 0;
      if (n > 0) out[id] = n; else this.leaving.delete(id);
    }
    return out;
  }

  /** Stop nginx: gracefully (it answers what it holds, up to the router timeout) unless `now`; then read the access log's last lines. */
  async close(now = false): Promise<void> {
    this.closing = true;
    const p = this.proc;
    if (p && p.child.exitCode === null && p.child.signalCode === null) {
      const exited = new Promise((r) => p.child.once('exit', r));
      // Graceful (answer what is in flight) unless the router must stop now; SIGKILL past the router timeout.
      p.signal(now ? 'SIGTERM' : 'SIGQUIT');
      const late = setTimeout(() => p.killGroup('SIGKILL'), now ? 2000 : this.o.timeoutMs + 1000);
      await exited;
      clearTimeout(late);
    }
    this.tail?.stop();
    // Everything here is written anew at the next start (the routing table comes from the server).
    fs.rmSync(this.o.prefix, { recursive: true, force: true });
  }


  /** An nginx of ours whose router process was killed: it holds the port and old routes. */
  private killLeftover(): void {
    try {
      const pid = Number(fs.readFileSync(path.join(this.o.prefix, 'nginx.pid'), 'utf8').trim());
      if (pid > 1 && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.confFile)) {
        this.o.say(`stopping a leftover nginx (pid ${pid})`);
        process.kill(-pid, 'SIGKILL');
      }
    } catch { /* none */ }
  }

  /** The dynos' names by address, for the lines nginx could not name them in (kept after a dyno leaves). */
  private nameDynos(): void {
    for (const a of this.apps) for (const d of a.dynos) this.names.set(`${d.host}:${d.port}`, d.name);
  }

  /** nginx's configuration (the same for any apps), its status answering `generation`. */
  private confText(generation: number): string {
    return nginxConf({
      prefix: this.o.prefix, listenHost: this.o.listenHost, listenPort: this.o.listenPort, tlsPort: this.o.tlsPort, placeholder: this.o.tlsPort === undefined ? undefined : this.placeholderFile(), domain: this.o.domain,
      timeoutSeconds: Math.ceil(this.o.timeoutMs / 1000), user: process.getuid?.() === 0 ? 'root root' : undefined, generation, statusToken: this.statusToken, modules: this.o.modules,
    });
  }

  /** The certificate table for the current apps: a certificate nginx cannot load is left out (its name gets no handshake). */
  private certificateTable(): string {
    if (this.o.tlsPort === undefined) return '';
    return certificateTable(this.apps.map((a) => ({
      name: a.name, internal: a.internal, certificates: (a.certificates ?? []).map((c) => ({ hostname: c.hostname, file: this.certificateFile(c) })).filter((c) => this.loadable.get(c.file)),
    })));
  }

  private placeholderFile(): string { return path.join(this.o.prefix, 'placeholder.pem'); }

  /**
   * The certificate nginx's TLS server is configured with, and never gives (every handshake gets the
   * name's own certificate or none, balancer-lua.ts): nginx will not start a TLS server without one.
   */
  private async makePlaceholder(): Promise<void> {
    if (this.o.tlsPort === undefined || fs.existsSync(this.placeholderFile())) return;
    const f = this.placeholderFile();
    const r = await runHost('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '36500', '-subj', '/CN=invalid', '-keyout', f, '-out', f], { env: HOST_ENV, timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new Error(`openssl could not make the TLS port's placeholder certificate: ${(r.stderr || r.error || '').trim().split('\n')[0]}`);
    fs.chmodSync(f, 0o600);
  }

  /** Where a certificate's chain and key are written for nginx: named by their own hash (a renewed certificate is a new file). */
  private certificateFile(c: RouterCertificate): string { return path.join(this.o.prefix, 'certs', `${certificateId(c.chain, c.key)}.pem`); }

  /**
   * The current apps' certificates as files nginx's workers read at a handshake (the certificate
   * table names them), readable by this process's user only, each new one checked alone with
   * `nginx -t` (nginx refuses what its OpenSSL's policy refuses, e.g. a 1024-bit key in the chain):
   * one it cannot load stays out of the table, and its name gets no handshake.
   */
  private async checkCertificates(): Promise<void> {
    if (this.o.tlsPort === undefined) return;
    const dir = path.join(this.o.prefix, 'certs');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const want = new Map(this.apps.flatMap((a) => a.certificates ?? []).map((c) => [this.certificateFile(c), c] as const));
    for (const file of this.loadable.keys()) if (!want.has(file)) this.loadable.delete(file);
    for (const [file, c] of want) {
      if (this.loadable.has(file)) continue;
      fs.writeFileSync(file, `${c.chain.trim()}\n${c.key.trim()}\n`, { mode: 0o600 });
      const check = path.join(this.o.prefix, 'certificate-check.conf');
      fs.writeFileSync(check, certificateCheckConf(this.o.prefix, file));
      const r = await runHost('nginx', ['-t', '-q', '-e', 'stderr', '-p', this.o.prefix, '-c', check], { env: HOST_ENV, timeoutMs: 30_000 });
      this.loadable.set(file, r.exitCode === 0);
      if (r.exitCode !== 0) this.o.say(`nginx cannot load the certificate of ${c.hostname} (${r.stderr.trim().split('\n')[0]}): ${c.hostname} gets no TLS handshake until a certificate nginx can load replaces it`);
    }
  }

  /** Certificate files no app has any more (once the table nginx holds no longer names them). */
  private dropCertificateFiles(): void {
    if (this.o.tlsPort === undefined) return;
    const dir = path.join(this.o.prefix, 'certs');
    const want = new Set(this.apps.flatMap((a) => a.certificates ?? []).map((c) => this.certificateFile(c)));
    for (const f of fs.readdirSync(dir)) if (!want.has(path.join(dir, f))) fs.rmSync(path.join(dir, f), { force: true });
  }

  private async spawn(): Promise<void> {
    // Written anew with the latest apps, answering the version they were last served as (a change
    // that came while nginx was down is acknowledged by the data plane's next apply).
    this.up = false;
    await this.checkCertificates();
    await this.makePlaceholder();
    fs.writeFileSync(this.confFile, this.confText(this.generation));
    // A killed nginx leaves its sockets behind, which a new one could not listen on.
    for (const sock of [controlSocket(this.o.prefix), ...PAGE_KINDS.map((k) => pageSocket(this.o.prefix, k))]) fs.rmSync(sock, { force: true });
    // A new nginx's tables start from the files (the apps' current routes and certificates): put again at the next apply.
    fs.writeFileSync(routeTableFile(this.o.prefix), routeTable(this.apps, this.o.domain));
    fs.writeFileSync(certificateTableFile(this.o.prefix), this.certificateTable());
    this.table = '';
    this.certificates = '';
    const p = startHostService('nginx', ['-e', 'stderr', '-p', this.o.prefix, '-c', this.confFile], { env: HOST_ENV, cwd: this.o.prefix, onOutput: (l) => this.o.say(`nginx: ${l}`) });
    this.proc = p;
    let exited = false;
    p.child.once('exit', (code, signal) => {
      exited = true;
      p.killGroup('SIGKILL'); // its workers would keep the port
      const wasUp = this.up;
      if (this.proc === p) this.up = false;
      if (this.closing || this.proc !== p || !wasUp) return;
      this.o.say(`nginx exited (${code ?? signal}); restarting it in 1 s`);
      this.restart(p.child.pid!, 1000);
    });
    // Up once a worker answers with this configuration (listening alone is the master, before its workers).
    const until = Date.now() + 15_000;
    while (!exited && Date.now() < until) {
      if (await this.answers(this.generation)) { this.up = true; return; }
      await sleep(50);
    }
    throw new Error(`nginx did not start answering on ${this.o.listenHost}:${this.o.listenPort} (its errors are in the lines above)`);
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
        this.o.say(`${(e as Error).message}; trying again in ${next / 1000} s`);
        this.restart(deadGroup, next);
      }
    }, delayMs);
  }

  /**
   * Whole lines of nginx's log: runs of wire lines pass on as they are; a line of fields (a request
   * nginx could not write the Heroku line of) becomes its line here, in its place.
   */
  private onChunk(chunk: Buffer): void {
    const mark = FIELDS_MARK.charCodeAt(0);
    let run = 0;
    let lines = 0;
    for (let at = 0; at < chunk.length;) {
      const end = chunk.indexOf(10, at);
      if (chunk[at] === mark) {
        if (lines) this.o.wire(chunk.subarray(run, at), lines);
        const e = parseEntry(chunk.toString('utf8', at + 1, end));
        const r = e && routerLogLine(e, (addr) => this.names.get(addr));
        if (r) this.o.line(r.appId, r.line, e.msec);
        run = end + 1;
        lines = 0;
      } else if (end > at) lines++;
      at = end + 1;
    }
    if (lines) this.o.wire(chunk.subarray(run), lines);
  }
}
