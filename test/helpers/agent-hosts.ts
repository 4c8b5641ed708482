// Hosts simulated for agent tests: network namespaces `slwtest-agents-S-N` on a bridge of their own
// (10.231.S.0/24, the server's side 10.231.S.1; one S per test file, so files can run side by side),
// and `slipway agent` processes run inside them.
// The agent enters only the host's network namespace (nsenter --net): `ip netns exec` would also
// remount /sys, hiding the cgroup hierarchy the agent's limits use.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './server.js';
import { tempDir } from './temp.js';

/** The server's address on subnet `S`'s bridge. */
export const bridgeIp = (subnet: number): string => `10.231.${subnet}.1`;

export interface SimulatedHost { ns: string; address: string }

/** `n` hosts on subnet `subnet`'s bridge; `close()` removes them all (also run first, for a previous crash's leftovers). */
export function simulatedHosts(n: number, subnet: number): { hosts: SimulatedHost[]; serverIp: string; close(): void } {
  const run = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
  const BRIDGE = `agtbr${subnet}`;
  const hosts = Array.from({ length: n }, (_, i) => ({ ns: `slwtest-agents-${subnet}-${i + 1}`, address: `10.231.${subnet}.${i + 2}` }));
  const close = () => {
    for (const h of hosts) { try { run('netns', 'del', h.ns); } catch { /* gone */ } }
    try { run('link', 'del', BRIDGE); } catch { /* gone */ }
  };
  close();
  try {
    run('link', 'add', BRIDGE, 'type', 'bridge');
    run('addr', 'add', `${bridgeIp(subnet)}/24`, 'dev', BRIDGE);
    run('link', 'set', BRIDGE, 'up');
    hosts.forEach((h, i) => {
      run('netns', 'add', h.ns);
      run('link', 'add', `agt${subnet}v${i + 1}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns);
      run('link', 'set', `agt${subnet}v${i + 1}`, 'master', BRIDGE, 'up');
      run('-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
      run('-n', h.ns, 'link', 'set', 'eth0', 'up');
      run('-n', h.ns, 'link', 'set', 'lo', 'up');
      run('-n', h.ns, 'route', 'add', 'default', 'via', bridgeIp(subnet));
    });
  } catch (e) { close(); throw e; }
  return { hosts, serverIp: bridgeIp(subnet), close };
}

export interface AgentProcess { host: SimulatedHost; dataDir: string; proc: ChildProcess; output(): string; exited: Promise<number | null>; stop(): Promise<void>; kill(): Promise<void> }

/** `slipway agent` inside a simulated host, with its own data folder (kept across restarts when given). */
export function startAgent(host: SimulatedHost, serverUrl: string, token: string, opts: { slots?: number; dataDir?: string; env?: Record<string, string> } = {}): AgentProcess {
  const dataDir = opts.dataDir ?? tempDir('slipway-agent-');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_KILL_GRACE_MS: '1000', SLIPWAY_AGENT_ADDRESS: host.address, ...opts.env };
  const proc = spawn('nsenter', [`--net=/run/netns/${host.ns}`, process.execPath, BIN, 'agent', '--server', serverUrl, '--token', token, '--data-dir', dataDir, '--slots', String(opts.slots ?? 1)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c) => { out += c; });
  proc.stderr!.on('data', (c) => { out += c; });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    host, dataDir, proc, exited, output: () => out,
    async stop() { if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; } },
    async kill() { if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited; } },
  };
}
