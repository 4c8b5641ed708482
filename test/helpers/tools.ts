// The host tools the suite needs, in one place. A test whose tool is missing fails, naming the
// Debian package to install (`npm run setup` installs them all); SLIPWAY_TEST_ALLOW_MISSING=1
// asks for a partial run instead, where such tests are skipped with the same message.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { postgresAvailable } from './postgres.js';
import { netAdminProblem } from './netns.js';
import { findLuaModules } from '../../src/router/nginx-modules.js';

const onPath = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } }).status === 0;

/** Each tool: why it is not usable here (undefined when it is), and what to install. */
const TOOLS = {
  bwrap: { pkg: 'bubblewrap', problem: () => (spawnSync('bwrap', ['--ro-bind', '/', '/', 'true'], { stdio: 'ignore' }).status === 0 ? undefined : 'bubblewrap is not installed or cannot create namespaces here') },
  postgres: { pkg: 'postgresql-15', problem: () => (postgresAvailable() ? undefined : 'the PostgreSQL 15 server binaries (initdb) are not installed') },
  redis: { pkg: 'redis-server', problem: () => (fs.existsSync('/usr/bin/redis-server') ? undefined : 'redis-server is not installed') },
  chromium: { pkg: 'chromium', problem: () => (fs.existsSync('/usr/bin/chromium') ? undefined : '/usr/bin/chromium is not installed') },
  nginx: { pkg: 'nginx-light libnginx-mod-http-lua', problem: () => (!onPath('nginx') ? 'nginx is not installed' : findLuaModules() ? undefined : 'nginx\'s lua module is not installed') },
  spaces: { pkg: 'iproute2 nftables', problem: netAdminProblem },
  cgroups: { pkg: 'nothing: run the suite as root on a host with cgroup v1 memory, pids and cpu controllers', problem: () => (process.getuid?.() !== 0 ? 'the cgroup tests need root' : fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') ? undefined : 'no cgroup v1 memory controller at /sys/fs/cgroup/memory') },
} as const;

export type Tool = keyof typeof TOOLS;

/** A partial run was asked for: tests whose tools are missing are skipped instead of failing. */
export const allowMissing = (): boolean => process.env['SLIPWAY_TEST_ALLOW_MISSING'] === '1';

/**
 * The `skip` option for tests that need these tools: false when all are usable; the reason when
 * not and SLIPWAY_TEST_ALLOW_MISSING=1; otherwise it throws that reason, failing the test file
 * (or the describe block) that asked.
 */
export function needs(...tools: Tool[]): string | false {
  const missing = tools.map((t) => ({ t, problem: TOOLS[t].problem() })).filter((m) => m.problem);
  if (missing.length === 0) return false;
  const what = `${missing.map((m) => m.problem).join('; ')}: install ${missing.map((m) => TOOLS[m.t].pkg).join(' ')} (Debian/Ubuntu: npm run setup installs everything the suite needs)`;
  if (allowMissing()) return `${what}; skipped (SLIPWAY_TEST_ALLOW_MISSING=1)`;
  throw new Error(`${what}. For a partial run that skips these tests instead, set SLIPWAY_TEST_ALLOW_MISSING=1.`);
}

/** Server settings for a partial run: without bubblewrap, servers run commands unisolated instead of refusing to start. */
export function partialRunServerEnv(): Record<string, string> {
  return allowMissing() && TOOLS.bwrap.problem() ? { SLIPWAY_SANDBOX: 'process' } : {};
}
