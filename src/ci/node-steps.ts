// One node's steps: what they share (sandbox, workspace, deadline, clock), how one runs, and the
// error that ends the node.
import type { Sandbox, RunSpec } from '../sandbox/sandbox.js';
import { describeResult, type SandboxResult } from '../sandbox/result.js';
import type { Workspace } from './workspace.js';
import type { ErrorId } from '../core/errors.js';
import type { StepClock } from './step-clock.js';

/** A step that ended the node: its error id and message (and the command's result, when one ran). */
export class StepError extends Error {
  constructor(readonly errorId: ErrorId, message: string, readonly result?: SandboxResult) { super(message); }
}

/** What the steps of one node share: its sandbox, workspace, deadline and clock. */
export interface NodeSteps {
  sandbox: Sandbox;
  ws: Workspace;
  marker: string;
  signal: AbortSignal;
  timeoutSeconds: number;
  remaining(): number;
  clock: StepClock;
}

export type StepSpec = Omit<RunSpec, 'marker' | 'timeoutMs' | 'signal' | 'writable' | 'cwd'> & { cwd?: string };

/** Run a command in the node's sandbox; a timeout, cancel or failure (an exit code not in `ok`) becomes a StepError. */
export async function runStep(n: NodeSteps, spec: StepSpec, failId: ErrorId, what: string, ok: readonly number[] = [0]): Promise<SandboxResult> {
  const r = await n.sandbox.run({ cwd: n.ws.app, writable: [n.ws.root], tmpDir: n.ws.tmp, marker: n.marker, timeoutMs: n.remaining(), signal: n.signal, ...spec });
  const What = `${what[0]!.toUpperCase()}${what.slice(1)}`;
  if (r.reason === 'cancelled') throw new StepError('invalid_state', 'cancelled', r);
  if (r.reason === 'limit-exceeded') throw new StepError('limit_exceeded', `${What} ${describeResult(r)}.`, r);
  if (r.reason === 'timed-out' || n.remaining() === 0) throw new StepError('timed_out', `Test run timed out: it exceeded its time limit of ${n.timeoutSeconds} s and was terminated (during ${what}).`, r);
  if (r.exitCode === null || !ok.includes(r.exitCode)) throw new StepError(failId, `${What} ${describeResult(r)}.`, r);
  return r;
}
