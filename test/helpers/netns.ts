// Test-only network pieces for private-space tests: client namespaces on a bridge of their own
// (prefix `tsw`, never Slipway's), commands inside a namespace, and the check that Slipway left
// nothing of its own behind (namespaces, links, nftables tables).
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Whether this process can build namespaces and firewall tables (root with iproute2 and nftables); else why not. */
export function netAdminProblem(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) to create network namespaces, bridges and nftables rules';
  try {
    execFileSync('ip', ['link', 'add', 'tswprobe', 'type', 'bridge'], { stdio: 'pipe' });
    execFileSync('ip', ['link', 'del', 'tswprobe'], { stdio: 'pipe' });
    execFileSync('nft', ['list', 'tables'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `cannot create network namespaces or nftables rules here: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** A command inside a namespace (async: the server under test may be in this process's tests). */
export async function inNs(ns: string, argv: string[], timeoutMs = 15_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec('ip', ['netns', 'exec', ns, ...argv], { timeout: timeoutMs });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

/** A test network: bridge `tswbr0` with `hostIp/24`, and one namespace per client address on it. */
export function clientNetwork(hostIp: string, clients: Record<string, string>): { close(): void } {
  const run = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
  const close = () => {
    for (const ns of Object.keys(clients)) { try { run('netns', 'del', ns); } catch { /* gone */ } }
    try { run('link', 'del', 'tswbr0'); } catch { /* gone */ }
  };
  close();
  run('link', 'add', 'tswbr0', 'type', 'bridge');
  run('addr', 'add', `${hostIp}/24`, 'dev', 'tswbr0');
  run('link', 'set', 'tswbr0', 'up');
  let i = 0;
  for (const [ns, addr] of Object.entries(clients)) {
    i++;
    run('netns', 'add', ns);
    run('link', 'add', `tswv${i}`, 'type', 'veth', 'peer', 'name', `tswp${i}`, 'netns', ns);
    run('link', 'set', `tswv${i}`, 'master', 'tswbr0', 'up');
    run('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', `tswp${i}`);
    run('-n', ns, 'link', 'set', `tswp${i}`, 'up');
    run('-n', ns, 'link', 'set', 'lo', 'up');
    run('-n', ns, 'route', 'add', 'default', 'via', hostIp);
  }
  return { close };
}

/**
 * Everything of Slipway's on this host: namespaces `slipway-*`, links `slw*`/`slv*`/`slp*`/`sln*`, nft
 * tables `slipway*`; with `spacesOnly`, without the default networks of running servers (`sln*`
 * links, `slipway-<tag>-n*` namespaces, `slipwaynet_*` tables).
 */
export function slipwayLeftovers(opts: { spacesOnly?: boolean; tag?: string } = {}): { netns: string[]; links: string[]; tables: string[] } {
  const out = (cmd: string, ...a: string[]) => execFileSync(cmd, a, { encoding: 'utf8' });
  const common = (name: string) => !!opts.spacesOnly && (/^slipway-[0-9a-f]{4}-n/.test(name) || name.startsWith('sln') || / slipwaynet_/.test(name));
  // Only one server's things (its data folder's tag): servers of other test files may run meanwhile.
  const keep = (name: string) => !common(name) && (!opts.tag || name.includes(opts.tag));
  return {
    netns: out('ip', 'netns', 'list').split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith('slipway-') && keep(n)),
    links: out('ip', '-o', 'link', 'show').split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter((n) => /^sl[wvpn]/.test(n) && keep(n)),
    tables: out('nft', 'list', 'tables').split('\n').filter((l) => / slipway/.test(l) && keep(l)),
  };
}

/** The tag a server's names carry: from its data folder (as SpaceNetworks computes it). */
export const serverTag = (dataDir: string): string => createHash('sha256').update(dataDir).digest('hex').slice(0, 4);

/** The tag of the local agent process a server with this data folder runs (it owns the private spaces and the apps' dynos). */
export const agentTag = (serverDataDir: string): string => serverTag(path.join(serverDataDir, 'local-agent'));
