// Where a test node's fixed cost goes: wall time and CPU time of each of its steps, for the
// operator's log and bench/ci-overhead (a node's cost is paid on every run, so it is measured).
import fs from 'node:fs';
import type { Sandbox } from '../sandbox/sandbox.js';

/** One step of a node: its wall time, the CPU its sandboxed commands used (their cgroups), and the runner's own. */
export interface StepTime { step: string; wallMs: number; sandboxCpuMs: number | null; runnerCpuMs: number | null }

/**
 * CPU seconds of this process and of the children it has reaped (utime, stime, cutime, cstime of
 * /proc/self/stat): host tools (mkfs, mount, cp) end up there. Null off Linux.
 */
function runnerCpuMs(): number | null {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10; // clock ticks of 10 ms
  } catch { return null; }
}

export interface StepClock { lap(step: string): void; sandboxCpu(ms: number | undefined): void; readonly steps: StepTime[] }

/** Times consecutive steps: `lap(name)` closes the step that began at the previous lap. */
export function stepClock(): StepClock {
  const steps: StepTime[] = [];
  let t = performance.now();
  let cpu = runnerCpuMs();
  let sandboxMs: number | null = null;
  return {
    steps,
    /** Count a sandboxed command's CPU towards the current step. */
    sandboxCpu(ms) { if (ms !== undefined) sandboxMs = (sandboxMs ?? 0) + ms; },
    lap(step) {
      const now = performance.now();
      const c = runnerCpuMs();
      steps.push({ step, wallMs: Math.round(now - t), sandboxCpuMs: sandboxMs, runnerCpuMs: c === null || cpu === null ? null : c - cpu });
      t = now;
      cpu = c;
      sandboxMs = null;
    },
  };
}

/** One line for a log: "workspace 21 ms (cpu 0+10), unpack …". */
export function describeSteps(steps: StepTime[]): string {
  return steps.map((s) => `${s.step} ${s.wallMs} ms (cpu ${s.sandboxCpuMs ?? '-'}+${s.runnerCpuMs ?? '-'})`).join(', ');
}

/** `s` with every command's CPU (its cgroup's account) counted towards the clock's current step. */
export function counted(s: Sandbox, clock: StepClock): Sandbox {
  return {
    mode: s.mode, user: s.user, warning: s.warning, ownedDir: (d, t) => s.ownedDir(d, t),
    run: async (spec) => { const r = await s.run(spec); clock.sandboxCpu(r.cpuMs); return r; },
    start: (spec) => s.start(spec),
    adopt: (a) => s.adopt(a),
  };
}
