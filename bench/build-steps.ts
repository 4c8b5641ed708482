// Shared by bench/deploy and bench/push-to-live: each build's steps as the server logs them
// ("build: ID of APP: workspace 21 ms (cpu 0+10), …"), and their medians over several builds.
import { median } from './proc-stats.js';

export interface BuildStep { step: string; wallMs: number; cpuMs: number }

/** Every build's steps in a server's output, in the order the builds ended. */
export function buildSteps(serverOutput: string): BuildStep[][] {
  return [...serverOutput.matchAll(/build: \S+ of \S+: (.*)/g)].map((m) => [...m[1]!.matchAll(/(?:^|, )(.+?) (\d+) ms \(cpu ([\d-]+)\+([\d-]+)\)/g)]
    .map((s) => ({ step: s[1]!, wallMs: Number(s[2]), cpuMs: (Number(s[3]) || 0) + (Number(s[4]) || 0) })));
}

/** Lines "step  wall ms  cpu ms" with the medians over `builds` (and `compare`'s wall time in brackets, when given). */
export function stepLines(builds: BuildStep[][], compare?: BuildStep[]): string[] {
  const names: string[] = [];
  for (const b of [...builds, compare ?? []]) for (const s of b) if (!names.includes(s.step)) names.push(s.step);
  return names.map((step) => {
    const xs = builds.map((b) => b.find((x) => x.step === step)).filter((x) => x !== undefined);
    const c = compare?.find((x) => x.step === step);
    const wall = xs.length ? String(median(xs.map((x) => x.wallMs))) : '-';
    const cpu = xs.length ? String(median(xs.map((x) => x.cpuMs))) : '-';
    return `    ${step.padEnd(28)} ${wall.padStart(6)} ms  cpu ${cpu.padStart(6)} ms${compare ? `   [${c?.wallMs ?? '-'} ms]` : ''}`;
  });
}
