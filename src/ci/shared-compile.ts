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
import { StepError, type Compiled } from './compile-app.js';

/** How a run's compile ended: the compiled app (in `ws`), a failure every node reports, or cancelled. */
export type CompileOutcome =
  | { ok: true; ws: Workspace; compiled: Compiled; output: Buffer; by: number }
  | { ok: false; error: StepError; output: Buffer; by: number };

interface Entry { outcome: Promise<CompileOutcome>; taken: number; active: number; expired: boolean; total: number; id: string; workRoot: string }

const entries = new Map<string, Entry>();
let seq = 0;

const isRealDir = (p: string): boolean => { try { return fs.lstatSync(p).isDirectory(); } catch { return false; } };

async function dropIfDone(key: string, e: Entry): Promise<void> {
  if (e.active > 0 || !(e.expired || e.taken >= e.total)) return;
  if (entries.get(key) === e) entries.delete(key);
  await removeWorkspace(e.workRoot, e.id).catch(() => {});
}

/** What a node got from the run's compile: the outcome, and `done()` once it no longer reads the compiled workspace. */
export interface Taken { outcome: CompileOutcome; first: boolean; done(): Promise<void> }

/**
 * The run's compile on this host: the first caller runs `compile` in a fresh workspace of the run's
 * (`diskMb`, the node size's quota); later callers wait for it. A compile that was cancelled (its
 * node's job stopped) is not shared: the next caller compiles again.
 */
export async function takeCompiled(opts: {
  runId: string; nodeIndex: number; nodeTotal: number; workRoot: string; ttlMs: number;
  makeWorkspace(id: string): Promise<Workspace>;
  compile(ws: Workspace, log: (s: Buffer | string) => void): Promise<Compiled>;
  log(s: Buffer | string): void;
}): Promise<Taken> {
  const key = `${opts.workRoot}\0${opts.runId}`;
  let e = entries.get(key);
  const first = !e;
  if (!e) {
    const id = `${opts.runId}-compiled-${++seq}`; // a retried compile never shares a workspace with a stale one
    const entry: Entry = { taken: 0, active: 0, expired: false, total: opts.nodeTotal, id, workRoot: opts.workRoot, outcome: Promise.resolve(undefined as never) };
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
    setTimeout(() => { entry.expired = true; void dropIfDone(key, entry); }, opts.ttlMs).unref();
    entries.set(key, entry);
    e = entry;
  }
  e.taken++;
  e.active++;
  const entry = e;
  const outcome = await entry.outcome;
  let released = false;
  return {
    outcome, first,
    async done() { if (released) return; released = true; entry.active--; await dropIfDone(key, entry); },
  };
}

/** Copy the compiled app, cache and buildpacks into a node's own workspace (ownership and modes kept). */
export async function copyCompiled(from: Workspace, to: Workspace): Promise<void> {
  for (const [a, b] of [[from.app, to.app], [from.cache, to.cache], [from.buildpacks, to.buildpacks]] as const) {
    // The tenant owned these folders while compiling: copy only real folders, never through a link.
    if (!isRealDir(a)) throw new StepError('buildpack_failed', `The compiled app's folder ${path.basename(a)} is no longer a folder (a symbolic link?); it was not copied.`);
    const r = await runHost('cp', ['-a', '--', `${a}/.`, b], { timeoutMs: 600_000 });
    if (r.exitCode !== 0) throw new StepError('internal_error', `Slipway could not copy the compiled app into this node's workspace: ${r.stderr.trim() || r.error}`);
  }
}

/** A compiled buildpack's folder in another workspace (the same place under its buildpacks folder). */
export const movedTo = (dir: string, from: Workspace, to: Workspace): string => path.join(to.buildpacks, path.relative(from.buildpacks, dir));
