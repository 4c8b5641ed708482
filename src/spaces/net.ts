// The host's network tools (iproute2, nftables) for spaces: every call goes through runHost.
import fs from 'node:fs';
import { runHost } from '../sandbox/host.js';

const PATH = { PATH: '/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin' };

export class NetError extends Error {}

async function run(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await runHost(cmd, args, { env: PATH, input, timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new NetError(`${cmd} ${args.join(' ')} ${r.reason === 'spawn-failed' ? `could not start: ${r.error}` : `failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`}`);
  return r.stdout;
}

/** `ip ARGS`; with `lines`, each line is one command of `ip -batch -` (stops at the first failure). */
export const ip = (args: string[], lines?: string[]): Promise<string> => run('ip', lines ? [...args, '-batch', '-'] : args, lines ? lines.join('\n') + '\n' : undefined);

/** Load an nft script atomically. */
export const nft = (script: string): Promise<string> => run('nft', ['-f', '-'], script);

/** Run nft/ip and ignore failure (cleanup of things that may already be gone). */
export const quietly = (p: Promise<unknown>): Promise<void> => p.then(() => undefined, () => undefined);

/**
 * The named network namespaces: the folder `ip netns` keeps them in, read instead of starting `ip netns list`
 * (a sweep lists them four times a start and a stop; each `ip` costs ~15 ms of CPU, this ~0.02).
 */
export async function listNetns(): Promise<string[]> {
  try { return fs.readdirSync('/var/run/netns'); } catch { return []; }
}

/**
 * The network links of this process's own namespace, as `ip -o link show` lists them: from
 * /proc/self/net/dev, which follows the namespace however it was entered (`/sys/class/net` shows the
 * one sysfs was mounted in: under `nsenter --net`, the host's).
 */
export async function listLinks(): Promise<string[]> {
  try {
    return fs.readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean);
  } catch { return []; }
}

/** IPv4 routes on the host (`10.0.0.0/8 dev eth0 …`) as prefixes, for overlap checks. */
export async function hostRoutes(): Promise<Array<{ prefix: string; dev: string }>> {
  const out = await run('ip', ['-4', 'route', 'show', 'table', 'all']).catch(() => '');
  return out.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0] && w[0] !== 'broadcast' && w[0] !== 'local')
    .map((w) => ({ prefix: w[0] === 'default' ? '0.0.0.0/0' : w[0]!, dev: w[w.indexOf('dev') + 1] ?? '' }));
}

/** Why this process cannot build space networks (no CAP_NET_ADMIN, no iproute2/nftables), or undefined. */
export async function probeNetAdmin(): Promise<string | undefined> {
  const name = `slwprobe${process.pid % 100000}`;
  try {
    await ip(['link', 'add', name, 'type', 'bridge']);
    await ip(['link', 'del', name]);
    await nft('list tables\n');
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/** Per-namespace files `ip netns exec` binds over /etc (resolv.conf pointing at the space's DNS). */
export function writeNetnsEtc(ns: string, nameserver: string): void {
  fs.mkdirSync(`/etc/netns/${ns}`, { recursive: true });
  fs.writeFileSync(`/etc/netns/${ns}/resolv.conf`, `# written by Slipway for ${ns}\nnameserver ${nameserver}\noptions timeout:1 attempts:2\n`);
}

export function removeNetnsEtc(ns: string): void {
  fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
}

export function listNetnsEtc(): string[] {
  try { return fs.readdirSync('/etc/netns'); } catch { return []; }
}

/** `bridge ARGS` (iproute2's, for a VXLAN device's forwarding entries). */
export const bridgeTool = (args: string[]): Promise<string> => run('bridge', args);

/** Set a sysctl under /proc/sys/net (e.g. `ipv4/conf/<dev>/proxy_arp`). */
export function setNetSysctl(key: string, value: string): void {
  fs.writeFileSync(`/proc/sys/net/${key}`, value);
}
