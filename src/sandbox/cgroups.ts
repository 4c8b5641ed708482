// Enforcing ResourceLimits on one sandboxed command: a cgroup of its own (v1 or v2) under a
// per-server parent when the server is root, else rlimits only. The launcher joins the group
// before it execs anything the tenant controls, so no process of the command ever runs outside.
import fs from 'node:fs';
import path from 'node:path';
import type { ResourceLimits } from '../core/dyno-size.js';
import { hostTool } from './host-tools.js';
import { commandGroupName, oomKills, parentGroupName, prlimitArgs, v1Settings, v2Settings, workingSetBytes } from './cgroup-settings.js';

const V1_CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
// Writes its own pid into each cgroup.procs given, then execs the rest: the tenant's command starts inside.
const JOIN_SCRIPT = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

/** The limits of one running command, and what they observed. */
export interface CommandLimits {
  /** True when the launch argv must be spawned as root (it joins the group, then drops to the tenant). */
  readonly asRoot: boolean;
  /** The launch argv: join the group, set rlimits, drop to `dropTo` when given, exec `argv`. */
  wrap(argv: string[], dropTo?: { uid: number; gid: number }): string[];
  /** Memory in use (working set), when a cgroup measures it. */
  memoryBytes(): number | undefined;
  /** CPU time the command used so far (ms), when a cgroup accounts it. */
  cpuMs(): number | undefined;
  /** The most memory the command ever held, when a cgroup measures it. */
  peakBytes(): number | undefined;
  /** Whether the kernel's OOM killer struck inside the group. */
  oomKilled(): boolean;
  /** Kill whatever is still in the group and remove it. */
  release(): Promise<void>;
}

export interface Limiter {
  /** What is enforced and how: printed at start-up. */
  readonly summary: string;
  readonly kind: 'cgroup-v1' | 'cgroup-v2' | 'rlimits';
  /** `existing`: the group of a command an earlier process started (adopted): used as it is, not made nor set again. */
  forCommand(marker: string, limits: ResourceLimits, opts?: { existing?: boolean }): CommandLimits;
  /** Remove the groups a killed server left behind (killing what is still in them), but those of the markers in `keep` (adopted commands); returns how many. */
  sweep(keep?: ReadonlySet<string>): number;
  /** On shutdown: remove every group and the per-server parents. */
  close(): void;
}

const which = (name: string): string | undefined => { try { return hostTool(name); } catch { return undefined; } };
const read = (file: string): string | undefined => { try { return fs.readFileSync(file, 'utf8'); } catch { return undefined; } };
const num = (file: string): number | undefined => { const t = read(file); return t === undefined || !/^\d+/.test(t) ? undefined : Number.parseInt(t, 10); };

/** SIGKILL every process in a group and remove it; true when it is gone. */
function destroyGroup(dir: string): boolean {
  for (const pid of (read(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
    try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
  }
  try { fs.rmdirSync(dir); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENOENT'; }
}

/** Probe what this host allows and build the limiter (cgroups v2, v1, or rlimits only). */
export function createLimiter(opts: { dataDir: string; root?: string; ownUid: boolean }): Limiter {
  const root = opts.root ?? '/sys/fs/cgroup';
  const prlimit = which('prlimit');
  const setpriv = which('setpriv');
  const sh = which('sh');
  if (!prlimit || !sh) throw new Error('Resource limits need prlimit and sh (Debian packages util-linux and dash).');
  const parent = parentGroupName(opts.dataDir);
  const rlimits = (why: string): Limiter => ({
    kind: 'rlimits',
    summary: `rlimits only: address space, file size${opts.ownUid ? ', processes' : ''} (${why})`,
    forCommand: (_marker, limits) => ({
      asRoot: false,
      wrap: (argv) => [prlimit, ...prlimitArgs(limits, { cgroups: false, ownUid: opts.ownUid }), '--', ...argv],
      memoryBytes: () => undefined, cpuMs: () => undefined, peakBytes: () => undefined, oomKilled: () => false, release: async () => {},
    }),
    sweep: () => 0,
    close: () => {},
  });
  if (process.getuid?.() !== 0) return rlimits('cgroups need the server to run as root');
  if (!setpriv) return rlimits('setpriv (util-linux) is missing');

  const v2 = read(path.join(root, 'cgroup.controllers'));
  // One directory per controller hierarchy that holds the per-server parent (v2: just one).
  let parents: string[];
  let kind: 'cgroup-v1' | 'cgroup-v2';
  let controllers: string[] = ['memory'];
  try {
    if (v2 !== undefined) {
      const have = v2.split(/\s+/);
      const missing = ['memory', 'pids', 'cpu'].filter((c) => !have.includes(c));
      if (missing.length) return rlimits(`cgroup v2 lacks the ${missing.join(', ')} controller`);
      const dir = path.join(root, parent);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), '+memory +pids +cpu');
      fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), '+memory +pids +cpu');
      parents = [dir];
      kind = 'cgroup-v2';
    } else {
      const missing = V1_CONTROLLERS.filter((c) => !fs.existsSync(path.join(root, c, 'cgroup.procs')));
      if (missing.length) return rlimits(`no cgroup ${missing.join(', ')} controller at ${root}`);
      // cpuacct accounts CPU time; where it is mounted apart from cpu (not co-mounted as cpu,cpuacct) its group is joined too.
      const acct = fs.existsSync(path.join(root, 'cpuacct', 'cgroup.procs')) && !fs.existsSync(path.join(root, 'cpu', 'cpuacct.usage'));
      controllers = acct ? [...V1_CONTROLLERS, 'cpuacct'] : [...V1_CONTROLLERS];
      parents = controllers.map((c) => path.join(root, c, parent));
      for (const p of parents) fs.mkdirSync(p, { recursive: true });
      kind = 'cgroup-v1';
    }
  } catch (e) {
    return rlimits(`cannot create cgroups: ${(e as Error).message}`);
  }
  const memsw = fs.existsSync(path.join(root, 'memory', 'memory.memsw.limit_in_bytes'));
  const memDir = (name: string) => path.join(parents[0]!, name);

  return {
    kind,
    summary: kind === 'cgroup-v2'
      ? `resource limits: cgroups v2 (memory, pids, cpu) under ${parents[0]}; file size by rlimit`
      : `resource limits: cgroups v1 (memory, pids, cpu) under ${parent}; file size by rlimit`,
    sweep(keep = new Set()) {
      const kept = new Set([...keep].map(commandGroupName));
      const names = new Set(parents.flatMap((p) => fs.readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory() && !kept.has(e.name)).map((e) => e.name)));
      // Start-up only: wait (briefly, synchronously) for killed processes to leave their groups.
      for (let i = 0; i < 40; i++) {
        if (parents.every((p) => [...names].map((n) => destroyGroup(path.join(p, n))).every(Boolean))) break;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
      return names.size;
    },
    close() {
      this.sweep();
      for (const p of parents) try { fs.rmdirSync(p); } catch { /* still busy: the next start sweeps it */ }
    },
    forCommand(marker, limits, o = {}) {
      const name = commandGroupName(marker);
      const dirs = parents.map((p) => path.join(p, name));
      if (!o.existing) for (const d of dirs) fs.mkdirSync(d, { recursive: true });
      if (o.existing) { /* its limits were set when it started */ } else if (kind === 'cgroup-v2') {
        for (const [f, v] of v2Settings(limits)) {
          // memory.swap.max is absent without swap accounting; the rest must take.
          try { fs.writeFileSync(path.join(dirs[0]!, f), v); } catch (e) { if (f !== 'memory.swap.max') throw e; }
        }
      } else {
        const s = v1Settings(limits, { memsw });
        controllers.forEach((c, i) => { for (const [f, v] of s[c as keyof typeof s] ?? []) fs.writeFileSync(path.join(dirs[i]!, f), v); });
      }
      const procs = dirs.map((d) => path.join(d, 'cgroup.procs'));
      const mem = memDir(name);
      return {
        asRoot: true,
        wrap: (argv, dropTo) => [
          sh, '-c', JOIN_SCRIPT, 'slipway-limits', String(procs.length), ...procs,
          prlimit, ...prlimitArgs(limits, { cgroups: true, ownUid: opts.ownUid }), '--',
          ...(dropTo ? [setpriv, `--reuid=${dropTo.uid}`, `--regid=${dropTo.gid}`, '--clear-groups', '--'] : []),
          ...argv,
        ],
        memoryBytes() {
          const usage = num(path.join(mem, kind === 'cgroup-v2' ? 'memory.current' : 'memory.usage_in_bytes'));
          if (usage === undefined) return undefined;
          return workingSetBytes(usage, read(path.join(mem, 'memory.stat')) ?? '', kind === 'cgroup-v2' ? 'inactive_file' : 'total_inactive_file');
        },
        cpuMs() {
          if (kind === 'cgroup-v2') {
            const usec = /^usage_usec (\d+)$/m.exec(read(path.join(dirs[0]!, 'cpu.stat')) ?? '')?.[1];
            return usec === undefined ? undefined : Math.round(Number(usec) / 1000);
          }
          const acct = dirs[controllers.indexOf('cpuacct')] ?? dirs[controllers.indexOf('cpu')]!;
          const ns = num(path.join(acct, 'cpuacct.usage'));
          return ns === undefined ? undefined : Math.round(ns / 1e6);
        },
        peakBytes: () => num(path.join(mem, kind === 'cgroup-v2' ? 'memory.peak' : 'memory.max_usage_in_bytes')),
        oomKilled: () => oomKills(read(path.join(mem, kind === 'cgroup-v2' ? 'memory.events' : 'memory.oom_control')) ?? '') > 0,
        async release() {
          // Processes just killed take a moment to leave the group; retry briefly.
          for (let i = 0; i < 40; i++) {
            if (dirs.map(destroyGroup).every(Boolean)) return;
            await new Promise((r) => setTimeout(r, 50));
          }
        },
      };
    },
  };
}
