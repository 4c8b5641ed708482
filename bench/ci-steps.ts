// Shared by bench/ci-overhead and bench/ci-parallel: a test node's steps as the server logs them
// ("ci: run R node i of n: step 12 ms (cpu 3+10), …"), commands timed with their CPU, and the CPU a
// process and its reaped children have used, from /proc.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { median } from './proc-stats.js';

export interface Step { step: string; wallMs: number; sandboxCpuMs: number; runnerCpuMs: number }
export interface NodeSteps { runId: string; index: number; total: number; steps: Step[] }

/** Every node's steps in a server's output. */
export function nodeSteps(serverOutput: string): NodeSteps[] {
  const out: NodeSteps[] = [];
  for (const m of serverOutput.matchAll(/ci: run (\S+) node (\d+) of (\d+): (.*)/g)) {
    const steps = [...m[4]!.matchAll(/(?:^|, )(.+?) (\d+) ms \(cpu ([\d-]+)\+([\d-]+)\)/g)]
      .map((s) => ({ step: s[1]!, wallMs: Number(s[2]), sandboxCpuMs: Number(s[3]) || 0, runnerCpuMs: Number(s[4]) || 0 }));
    out.push({ runId: m[1]!, index: Number(m[2]), total: Number(m[3]), steps });
  }
  return out;
}

/**
 * A process's CPU seconds with its reaped children's (utime, stime, cutime, cstime). Sandboxed
 * commands are mostly not in it (their processes are reaped inside their namespaces): add their cgroups'.
 */
export function cpuWithChildren(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/** Run a command to its end: wall seconds and the CPU seconds it and its children used (GNU time's account). */
export function timedCommand(argv: string[], opts: { cwd: string; env: Record<string, string> }): Promise<{ code: number; wall: number; cpu: number; stdout: string }> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-time-')), 'time');
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const p = spawn('/usr/bin/time', ['-f', '%U %S', '-o', file, ...argv], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.on('error', reject);
    p.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t) / 1e9;
      const [u, s] = fs.readFileSync(file, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      resolve({ code: code ?? 1, wall, cpu: (u ?? 0) + (s ?? 0), stdout });
    });
  });
}

/** Median wall and CPU of each step over several nodes, in the order the steps first appear. */
export function stepTable(nodes: NodeSteps[]): Array<{ step: string; wallMs: number; cpuMs: number; n: number }> {
  const names: string[] = [];
  for (const n of nodes) for (const s of n.steps) if (!names.includes(s.step)) names.push(s.step);
  return names.map((step) => {
    const xs = nodes.flatMap((n) => n.steps.filter((s) => s.step === step));
    return { step, wallMs: median(xs.map((s) => s.wallMs)), cpuMs: median(xs.map((s) => s.sandboxCpuMs + s.runnerCpuMs)), n: xs.length };
  });
}

/** The 1-, 5- and 15-minute load averages, for the record of a shared machine. */
export const load = (): string => os.loadavg().map((x) => x.toFixed(1)).join(' ');

/** Where a run's wall time went, in ms from the CLI's start: the run created, its nodes started and ended, the run ended, the CLI done. */
export interface Timeline { created: number; firstNodeStarted: number; lastNodeStarted: number; nodesEnded: number; runEnded: number; cliDone: number }

/**
 * The timeline of a pipeline's latest run from its rows (the server's clock, the same machine's):
 * `cliStart` and `cliDone` are the CLI's start and exit (Date.now()).
 */
export async function runTimeline(server: { url: string }, token: string, pipeline: string, cliStart: number, cliDone: number): Promise<Timeline> {
  const get = async <T>(p: string): Promise<T> => (await fetch(server.url + p, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<T>;
  const [run] = await get<Array<{ id: string; created_at: string; finished_at: string | null }>>(`/pipelines/${pipeline}/test-runs?limit=1`);
  const nodes = await get<Array<{ started_at: string | null; finished_at: string | null }>>(`/test-runs/${run!.id}/test-nodes`);
  const at = (iso: string | null | undefined) => (iso ? Date.parse(iso) - cliStart : NaN);
  const starts = nodes.map((n) => at(n.started_at));
  return {
    created: at(run!.created_at), firstNodeStarted: Math.min(...starts), lastNodeStarted: Math.max(...starts),
    nodesEnded: Math.max(...nodes.map((n) => at(n.finished_at))), runEnded: at(run!.finished_at), cliDone: cliDone - cliStart,
  };
}

/** Medians of several runs' timelines, one line: "run created 410 ms, …". */
export function describeTimelines(ts: Timeline[]): string {
  const m = (k: keyof Timeline) => Math.round(median(ts.map((t) => t[k])));
  return `run created ${m('created')} ms, nodes started (left pending) ${m('firstNodeStarted')}–${m('lastNodeStarted')} ms, nodes ended ${m('nodesEnded')} ms, run ended ${m('runEnded')} ms, CLI printed the summary and exited ${m('cliDone')} ms`;
}
