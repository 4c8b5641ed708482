import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks, formatChecks, type DoctorConfig, type HostFacts, type Check } from './checks.js';

const config: DoctorConfig = { dataDir: '/srv/slipway/.slipway', sandbox: 'auto', sandboxUser: 'nobody', pgBin: '/usr/lib/postgresql/15/bin', addonPostgresUrl: undefined, router: 'node' };
const PG = ['/usr', '/usr/lib', '/usr/lib/postgresql', '/usr/lib/postgresql/15', '/usr/lib/postgresql/15/bin'];
const PROGRAMS = ['git', 'redis-server', 'chromium', 'ip', 'nft', 'setpriv', 'nginx'];

/** A healthy Debian host as root; `change` breaks one part of it. */
function host(change: (dirs: Record<string, number>, programs: Set<string>, h: HostFacts) => void = () => {}): HostFacts {
  const dirs: Record<string, number> = { '/': 0o755, '/srv': 0o755, '/srv/slipway': 0o755, ...Object.fromEntries(PG.map((d) => [d, 0o755])) };
  for (const b of ['initdb', 'pg_ctl', 'postgres']) dirs[`/usr/lib/postgresql/15/bin/${b}`] = 0o100755;
  const programs = new Set(PROGRAMS);
  const h: HostFacts = {
    isRoot: true,
    stat: (p) => (dirs[p] === undefined ? undefined : { mode: dirs[p]!, isDirectory: (dirs[p]! & 0o100000) === 0 }),
    writable: () => true,
    which: (p) => (programs.has(p) ? `/usr/bin/${p}` : undefined),
    sandboxUser: () => ({ name: 'nobody' }),
    bwrapProblem: () => undefined,
    nginxLua: () => true,
  };
  change(dirs, programs, h);
  return h;
}
const bySeverity = (checks: Check[], s: Check['severity']) => checks.filter((c) => c.severity === s).map((c) => c.name);

test('a healthy host as root: nothing to fix', () => {
  const checks = runChecks(config, host());
  assert.deepEqual(bySeverity(checks, 'fatal'), []);
  assert.deepEqual(bySeverity(checks, 'warning'), []);
});

test('a data folder under /root (0700) is fatal, naming the directory and the chmod that fixes it', () => {
  const checks = runChecks({ ...config, dataDir: '/root/slipway/.slipway' }, host((d) => { d['/root'] = 0o700; d['/root/slipway'] = 0o755; }));
  const [c] = checks.filter((x) => x.severity === 'fatal');
  assert.equal(c?.name, 'data folder');
  assert.match(c!.what, /others may not enter \/root$/);
  assert.match(c!.why!, /bwrap: Can't find source path/);
  assert.match(c!.fix!, /^chmod o\+x \/root .*SLIPWAY_DATA_DIR=/);
});

test('not root: sandboxed commands run as this user, so the data folder needs no o+x and spaces are a warning', () => {
  const checks = runChecks({ ...config, dataDir: '/home/me/x/.slipway' }, host((d, _p, h) => { d['/home'] = 0o755; d['/home/me'] = 0o700; h.isRoot = false; }));
  assert.deepEqual(bySeverity(checks, 'fatal'), []);
  assert.deepEqual(bySeverity(checks, 'warning'), ['private spaces']);
});

test('a data folder that cannot be written, or is a file, is fatal', () => {
  assert.deepEqual(bySeverity(runChecks(config, host((_d, _p, h) => { h.writable = () => false; })), 'fatal'), ['data folder']);
  assert.match(runChecks(config, host((d) => { d[config.dataDir] = 0o100644; }))[0]!.what, /is not a directory/);
});

test('bubblewrap missing: fatal in auto mode with the package to install; SLIPWAY_SANDBOX=process only warns', () => {
  const broken = host((_d, _p, h) => { h.bwrapProblem = () => 'bubblewrap is not installed (ENOENT)'; });
  const fatal = runChecks(config, broken).find((c) => c.severity === 'fatal');
  assert.equal(fatal?.name, 'sandbox');
  assert.match(fatal!.fix!, /apt-get install bubblewrap/);
  assert.deepEqual(bySeverity(runChecks({ ...config, sandbox: 'process' }, broken), 'warning'), ['sandbox']);
});

test('a missing sandbox user is fatal', () => {
  const checks = runChecks(config, host((_d, _p, h) => { h.sandboxUser = () => ({ problem: 'The sandbox user "x" does not exist.' }); }));
  assert.deepEqual(bySeverity(checks, 'fatal'), ['sandbox user']);
});

test('git is required; without PostgreSQL, redis-server, chromium or the spaces tools only their feature is unavailable', () => {
  const checks = runChecks(config, host((d, p) => { for (const x of PROGRAMS) p.delete(x); delete d['/usr/lib/postgresql/15/bin/initdb']; }));
  assert.deepEqual(bySeverity(checks, 'fatal'), ['git']);
  assert.deepEqual(bySeverity(checks, 'warning'), ['PostgreSQL', 'redis-server', 'chromium', 'ip', 'nft', 'setpriv']);
  assert.match(checks.find((c) => c.name === 'PostgreSQL')!.what, /^initdb not found/);
  assert.match(checks.find((c) => c.name === 'redis-server')!.fix!, /apt-get install redis-server/);
});

test('PostgreSQL binaries the sandbox user cannot reach or run are fatal; SLIPWAY_ADDON_POSTGRES_URL needs none', () => {
  const closed = host((d) => { d['/usr/lib/postgresql'] = 0o750; });
  assert.match(runChecks(config, closed).find((c) => c.name === 'PostgreSQL')!.fix!, /^chmod o\+x \/usr\/lib\/postgresql$/);
  const noX = host((d) => { d['/usr/lib/postgresql/15/bin/postgres'] = 0o100750; });
  const notRunnable = runChecks(config, noX).find((c) => c.name === 'PostgreSQL')!;
  assert.equal(notRunnable.severity, 'fatal');
  assert.match(notRunnable.fix!, /^chmod o\+x \/usr\/lib\/postgresql\/15\/bin\/postgres$/);
  const none = host((d) => { delete d['/usr/lib/postgresql/15/bin/initdb']; });
  assert.equal(runChecks({ ...config, addonPostgresUrl: 'postgres://db/x' }, none).find((c) => c.name === 'PostgreSQL')!.severity, 'ok');
});

test('nginx is needed only with SLIPWAY_ROUTER=nginx; by default (auto) its absence is a warning', () => {
  const noNginx = host((_d, p) => p.delete('nginx'));
  assert.deepEqual(bySeverity(runChecks(config, noNginx), 'fatal'), []);
  assert.deepEqual(bySeverity(runChecks({ ...config, router: 'auto' }, noNginx), 'fatal'), []);
  assert.deepEqual(bySeverity(runChecks({ ...config, router: 'auto' }, noNginx), 'warning').filter((n) => n === 'nginx'), ['nginx']);
  assert.deepEqual(bySeverity(runChecks({ ...config, router: 'nginx' }, noNginx), 'fatal'), ['nginx']);
});

test('nginx without its lua module (the route table): fatal with SLIPWAY_ROUTER=nginx, a warning by default, naming the package', () => {
  const noLua = host((_d, _p, h) => { h.nginxLua = () => false; });
  const auto = runChecks({ ...config, router: 'auto' }, noLua).find((c) => c.name === 'nginx lua module')!;
  assert.equal(auto.severity, 'warning');
  assert.match(auto.fix!, /apt-get install libnginx-mod-http-lua/);
  assert.deepEqual(bySeverity(runChecks({ ...config, router: 'nginx' }, noLua), 'fatal'), ['nginx lua module']);
  assert.equal(runChecks({ ...config, router: 'auto' }, host()).find((c) => c.name === 'nginx lua module')!.severity, 'ok');
});

test('the report: a line per check, why and fix under each problem', () => {
  const text = formatChecks(runChecks(config, host((_d, p) => p.delete('git'))));
  assert.match(text, /^ok {6}data folder: /);
  assert.match(text, /\nFATAL {3}git: git is not installed\n {10}why: .*\n {10}fix: npm run setup.*apt-get install git$/m);
});
