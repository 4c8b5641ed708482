// What `slipway server` needs from this host, checked before it starts (and by `slipway doctor`):
// each check says what it found, and for a problem why it matters and what to do. Pure: the host's
// facts come in through a port, so every decision here is unit-tested.
import path from 'node:path';
import type { Config } from '../config.js';
import { closedToOthers, nearestExisting, openCommand, type StatFn } from './path-access.js';

/** fatal: the server refuses to start; warning: it starts, a feature is unavailable. */
export type Severity = 'ok' | 'warning' | 'fatal';
export interface Check { name: string; severity: Severity; what: string; why?: string; fix?: string }

export type DoctorConfig = Pick<Config, 'dataDir' | 'sandbox' | 'sandboxUser' | 'pgBin' | 'addonPostgresUrl' | 'router'>;

export interface HostFacts {
  isRoot: boolean;
  stat: StatFn;
  /** Whether this process may create files in an existing directory. */
  writable(dir: string): boolean;
  /** A program's absolute path on the system PATH, or undefined. */
  which(program: string): string | undefined;
  /** The sandbox user, or why it cannot be used. */
  sandboxUser(): { name: string } | { problem: string };
  /** Why bubblewrap cannot isolate commands as the sandbox user here, or undefined when it can. */
  bwrapProblem(): string | undefined;
  /** Whether nginx's lua module (with ndk) is installed: the nginx router's route table. */
  nginxLua(): boolean;
}

const SETUP = 'npm run setup in the Slipway checkout';
const ok = (name: string, what: string): Check => ({ name, severity: 'ok', what });

function dataFolder(c: DoctorConfig, h: HostFacts): Check {
  const name = 'data folder';
  const st = h.stat(c.dataDir);
  if (st && !st.isDirectory) return { name, severity: 'fatal', what: `${c.dataDir} is not a directory`, why: 'Slipway keeps its database, sources and workspaces there', fix: 'set SLIPWAY_DATA_DIR to a directory (or a path that does not exist yet)' };
  const base = nearestExisting(c.dataDir, h.stat);
  if (!h.writable(base)) return { name, severity: 'fatal', what: `cannot write in ${base}`, why: `the data folder ${c.dataDir} must be created and written by the server`, fix: 'set SLIPWAY_DATA_DIR to a folder this user may write, or fix its permissions' };
  // Not root: sandboxed commands run as this user, who reaches whatever the server reaches.
  if (!h.isRoot) return ok(name, `${c.dataDir} (sandboxed commands run as this user)`);
  const closed = closedToOthers(path.dirname(c.dataDir), h.stat);
  if (closed.length === 0) return ok(name, `${c.dataDir}, reachable by sandboxed commands`);
  return {
    name, severity: 'fatal',
    what: `sandboxed commands cannot reach the data folder ${c.dataDir}: others may not enter ${closed.join(', ')}`,
    why: 'builds, test runs and dynos run as unprivileged uids in workspaces inside the data folder; every directory above it must be traversable by others (o+x), else every build fails (bwrap: Can\'t find source path)',
    fix: `${openCommand(closed)} (lets others pass through, not list), or choose a data folder elsewhere: SLIPWAY_DATA_DIR=/var/lib/slipway`,
  };
}

function sandbox(c: DoctorConfig, h: HostFacts): Check[] {
  const user = h.isRoot ? h.sandboxUser() : { name: 'this user' };
  if ('problem' in user) return [{ name: 'sandbox user', severity: 'fatal', what: user.problem, why: 'untrusted commands must never run as root', fix: 'create the user (useradd --system slipway) or set SLIPWAY_SANDBOX_USER' }];
  if (c.sandbox === 'process') {
    return [{ name: 'sandbox', severity: 'warning', what: 'SLIPWAY_SANDBOX=process: commands run as plain process groups, without namespace isolation', why: 'code from a push or a pull request can then read what the sandbox user can read on this host', fix: 'for untrusted code, install bubblewrap and unset SLIPWAY_SANDBOX' }];
  }
  const problem = h.bwrapProblem();
  if (!problem) return [ok('sandbox', `bubblewrap, commands run as ${user.name}`)];
  return [{
    name: 'sandbox', severity: 'fatal', what: problem,
    why: 'Slipway runs code from every push and pull request; without bubblewrap it is not isolated from this host',
    fix: `install bubblewrap (${SETUP}, or apt-get install bubblewrap); if it is installed, allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1); or, for trusted code only, SLIPWAY_SANDBOX=process`,
  }];
}

/** A program the server cannot work without (fatal), or that a feature needs (warning). */
function program(h: HostFacts, name: string, pkg: string, why: string, severity: Severity = 'fatal'): Check {
  const at = h.which(name);
  if (at) return ok(name, at);
  return { name, severity, what: `${name} is not installed`, why, fix: `${SETUP}, or apt-get install ${pkg}` };
}

function postgres(c: DoctorConfig, h: HostFacts): Check {
  const name = 'PostgreSQL';
  if (c.addonPostgresUrl) return ok(name, 'add-on databases are made on SLIPWAY_ADDON_POSTGRES_URL');
  const why = 'heroku-postgresql add-ons (test runs, apps, review apps) start a PostgreSQL server from these binaries as the sandbox user';
  const fix = `${SETUP}, or apt-get install postgresql-15; another version: SLIPWAY_PG_BIN=/usr/lib/postgresql/N/bin; or an existing server: SLIPWAY_ADDON_POSTGRES_URL`;
  const bins = ['initdb', 'pg_ctl', 'postgres'].map((b) => ({ b, st: h.stat(path.join(c.pgBin, b)) }));
  const absent = bins.filter((x) => !x.st || x.st.isDirectory).map((x) => x.b);
  // Not installed: only the add-on is unavailable (a run asking for it errors, naming it).
  if (absent.length) return { name, severity: 'warning', what: `${absent.join(', ')} not found in ${c.pgBin}`, why, fix };
  // Installed where the sandbox user cannot run it: every add-on would fail in an obscure way.
  const closedBins = h.isRoot ? bins.filter((x) => (x.st!.mode & 0o001) === 0).map((x) => x.b) : [];
  if (closedBins.length) return { name, severity: 'fatal', what: `${closedBins.join(', ')} in ${c.pgBin} may not be executed by others`, why, fix: `chmod o+x ${closedBins.map((b) => path.join(c.pgBin, b)).join(' ')}` };
  const closed = h.isRoot ? closedToOthers(c.pgBin, h.stat) : [];
  if (closed.length) return { name, severity: 'fatal', what: `the sandbox user cannot reach ${c.pgBin}: others may not enter ${closed.join(', ')}`, why, fix: openCommand(closed) };
  return ok(name, c.pgBin);
}

function spaces(h: HostFacts): Check[] {
  const why = 'private spaces (spaces:create) need them; everything else works without';
  if (!h.isRoot) return [{ name: 'private spaces', severity: 'warning', what: 'not running as root', why: 'private spaces need CAP_NET_ADMIN (namespaces, bridges, nftables); spaces:create answers spaces_unavailable', fix: 'run slipway server as root to use private spaces' }];
  return [program(h, 'ip', 'iproute2', why, 'warning'), program(h, 'nft', 'nftables', why, 'warning'), program(h, 'setpriv', 'util-linux', why, 'warning')];
}

/** nginx and its lua module, for the nginx router (needed with SLIPWAY_ROUTER=nginx; by default, else the slower Node router). */
function router(c: DoctorConfig, h: HostFacts): Check[] {
  if (c.router === 'node') return [ok('router', 'the Node router (SLIPWAY_ROUTER=node; nginx, where installed, serves about three times as much)')];
  const severity = c.router === 'nginx' ? 'fatal' : 'warning';
  const why = c.router === 'nginx' ? 'SLIPWAY_ROUTER=nginx runs the router on nginx' : 'the router runs on nginx where it is installed with its lua module, else on the slower Node router';
  const nginx = program(h, 'nginx', 'nginx-light libnginx-mod-http-lua', why, severity);
  if (nginx.severity !== 'ok') return [nginx];
  const lua: Check = h.nginxLua()
    ? ok('nginx lua module', 'installed (the route table: a deploy, a scale or a new app reloads nothing)')
    : { name: 'nginx lua module', severity, what: 'nginx\'s lua module is not installed', why: `${why}: nginx keeps its dynos in a table of the lua module's, so a deploy never reloads it`, fix: `${SETUP}, or apt-get install libnginx-mod-http-lua` };
  return [nginx, lua];
}

/** Every check, in the order they are printed. */
export function runChecks(c: DoctorConfig, h: HostFacts): Check[] {
  return [
    dataFolder(c, h),
    ...sandbox(c, h),
    program(h, 'git', 'git', 'pushes, sources and webhooks use git'),
    postgres(c, h),
    program(h, 'redis-server', 'redis-server', 'heroku-redis add-ons start a redis-server per test run or app (a run asking for one errors without it)', 'warning'),
    ...router(c, h),
    program(h, 'chromium', 'chromium', 'browser tests (the heroku/google-chrome buildpack) use the host\'s Chromium', 'warning'),
    ...spaces(h),
  ];
}

/** One block per check: `ok`/`warning`/`FATAL`, then why and what to do for problems. */
export function formatChecks(checks: Check[]): string {
  const label = { ok: 'ok      ', warning: 'warning ', fatal: 'FATAL   ' } as const;
  return checks.map((c) => {
    const lines = [`${label[c.severity]}${c.name}: ${c.what}`];
    if (c.why) lines.push(`          why: ${c.why}`);
    if (c.fix) lines.push(`          fix: ${c.fix}`);
    return lines.join('\n');
  }).join('\n');
}
