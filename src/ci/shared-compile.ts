// Compile once per run: the nodes of a parallel run on one runner host start from one compiled app
// (source unpacked, cache restored, buildpacks' test-compile run) instead of each compiling it again.
// The first node to arrive compiles into a workspace of the run's; every node then copies it into its
// own workspace, so nodes stay isolated from each other (a test that writes to its app changes only
// its own copy). The compiled workspace is root's alone while it is shared, and removed once every
// node of the run on this host has copied it, or when the run's time limit has passed.
import fs from 'node:fs';
import path from 'node:path';
import { runHost } from '../sandbox/host.js';
import { removeWorkspace, type Workspace } from './workspace.js';
import type { Compiled } from './compile-app.js';
import { StepError } from './node-steps.js';

/** How a run's compile ended: the compiled app (in `ws`), a failure every node reports, or cancelled. */
export type CompileOutcome =
  | { ok: true; ws: Workspace; compiled: Compiled; output: Buffer; by: number }
  | { ok: false; error: StepError; output: Buffer; by: number };

interface Entry { outcome: Promise<CompileOutcome>; taken: number; active: number; total: number; id: string; workRoot: string; idle?: NodeJS.Timeout }

/** How long a compiled app waits, unused, for more nodes of its run (a node that waited for a runner slot arrives within seconds). */
export const SHARED_COMPILE_IDLE_MS = 30_000;

const entries = new Map<string, Entry>();
let seq = 0;

const isRealDir = (p: string): boolean => { try { return fs.lstatSync(p).isDirectory(); } catch { return false; } };

async function drop(key: string, e: Entry): Promise<void> {
  clearTimeout(e.idle);
  if (entries.get(key) === e) entries.delete(key);
  await removeWorkspace(e.workRoot, e.id).catch(() => {});
}

/** A node no longer reads the compiled app: drop it when every node has had it, else after the idle time. */
async function released(key: string, e: Entry): Promise<void> {
  e.active--;
  if (e.active > 0) return;
  if (e.taken >= e.total) return drop(key, e);
  clearTimeout(e.idle);
  e.idle = setTimeout(() => { if (e.active === 0) void drop(key, e); }, SHARED_COMPILE_IDLE_MS).unref();
}

/** On shutdown: remove every compiled app of `workRoot` (the nodes using them have been stopped). */
export async function dropSharedCompiles(workRoot: string): Promise<void> {
  for (const [key, e] of [...entries]) {
    if (e.workRoot !== workRoot) continue;
    await e.outcome;
    await drop(key, e);
  }
}

/** What a node got from the run's compile: the outcome, and `done()` once it no longer reads the compiled workspace. */
export interface Taken { outcome: CompileOutcome; first: boolean; done(): Promise<void> }

/**
 * The run's compile on this host: the first caller runs `compile` in a fresh workspace of the run's
 *; later callers wait for it. A compile that was cancelled (its
 * node's job stopped) is not shared: the next caller compiles again.
 */
export async function takeCompiled(opts: {
  runId: string; nodeIndex: number; nodeTotal: number; workRoot: string;
  makeWorkspace(id: string): Promise<Workspace>;
  compile(ws: Workspace, log: (s: Buffer | string) => void): Promise<Compiled>;
  log(s: Buffer | string): void;
}): Promise<Taken> {
  const key = `${opts.workRoot}\0${opts.runId}`;
  let e = entries.get(key);
  const first = !e;
  if (!e) {
    const id = `${opts.runId}-compiled-${++seq}`; // a retried compile never shares a workspace with a stale one
    const entry: Entry = { taken: 0, active: 0, total: opts.nodeTotal, id, workRoot: opts.workRoot, outcome: Promise.resolve(undefined as never) };
    entry.outcome = (async (): Promise<CompileOutcome> => {
      const chunks: Buffer[] = [];
      const log = (s: Buffer | string) => { chunks.push(Buffer.from(s)); opts.log(s); };
      const output = () => Buffer.concat(chunks);
      try {
        const ws = await opts.makeWorkspace(id);
        const compiled = await opts.compile(ws, log);
        // While shared, no tenant process may reach it (without bubblewrap they share the run's uid).
        if (process.getuid?.() === 0) fs.chownSync(ws.root, 0, 0);
        fs.chmodSync(ws.root, 0o700);
        return { ok: true, ws, compiled, output: output(), by: opts.nodeIndex };
      } catch (err) {
        await removeWorkspace(opts.workRoot, id).catch(() => {});
        const error = err instanceof StepError ? err : new StepError('internal_error', `Slipway could not compile this run's app: ${(err as Error).message}`);
        if (error.result?.reason === 'cancelled' && entries.get(key) === entry) entries.delete(key);
        return { ok: false, error, output: output(), by: opts.nodeIndex };
      }
    })();
    entries.set(key, entry);
    e = entry;
  }
  e.taken++;
  e.active++;
  clearTimeout(e.idle);
  const entry = e;
  const outcome = await entry.outcome;
  let gone = false;
  return {
    outcome, first,
    async done() { if (gone) return; gone = true; await released(key, entry); },
  };
}

/** Copy the compiled app, cache and buildpacks into a node's own workspace (ownership and modes kept), by one `cp`. */
export async function copyCompiled(from: Workspace, to: Workspace): Promise<void> {
  const pairs = [[from.app, to.app], [from.cache, to.cache], [from.buildpacks, to.buildpacks]] as const;
  for (const [a, b] of pairs) {
    // The tenant owned these folders while compiling: copy only real folders, never through a link.
    if (!isRealDir(a)) throw new StepError('buildpack_failed', `The compiled app's folder ${path.basename(a)} is no longer a folder (a symbolic link?); it was not copied.`);
    // One cp copies each folder into the node's folder of the same name.
    if (path.dirname(b) !== to.root || path.basename(a) !== path.basename(b)) throw new Error(`${b} is not ${path.basename(a)} of ${to.root}`);
  }
  const r = await runHost('cp', ['-a', '--', ...pairs.map(([a]) => a), to.root], { timeoutMs: 600_000 });
  if (r.exitCode !== 0) throw new StepError('internal_error', `Slipway could not copy the compiled app into this node's workspace: ${r.stderr.trim() || r.error}`);
}

/** A compiled buildpack's folder in another workspace (the same place under its buildpacks folder). */
export const movedTo = (dir: string, from: Workspace, to: Workspace): string => path.join(to.buildpacks, path.relative(from.buildpacks, dir));
