// The agent seam for one-off dynos: a job (kind `one-off`) leased to the agent placement chose,
// events back (up, output, exit). An attached one-off's input comes over its own stream
// (`GET /agent/v1/jobs/:id/input`); its output travels as events, like every job's.
import type { Readable } from 'node:stream';
import { lineSplitter, runOneOffProcess, type OneOffHost, type OneOffSpec } from './one-off-process.js';

export const ONE_OFF_JOB = 'one-off';
/** A one-off runs at most a day (as on the server). */
export const ONE_OFF_TIMEOUT_MS = 24 * 3600_000;

/** The job's payload: the spec (config vars filled in at claim time, never queued) and the slug to fetch. */
export interface OneOffJob extends OneOffSpec { slugId: string; releaseId: string; attach: boolean }

export type OneOffEvent =
  | { type: 'output'; data: Buffer | string }
  | { type: 'up' }
  | { type: 'exit'; exitCode: number; message?: string };

export interface OneOffJobDeps extends OneOffHost {
  slugFile(slugId: string): Promise<{ path: string; done(): Promise<void> }>;
  /** The client's input of an attached one-off (ends with it). */
  openInput(): Promise<Readable>;
}

/** Run a one-off job on this host, its events to `emit`; detached output is sent as whole lines (the server logs them per line). */
export async function runOneOffJob(job: OneOffJob, d: OneOffJobDeps, emit: (e: OneOffEvent) => void, signal: AbortSignal): Promise<void> {
  let slug: { path: string; done(): Promise<void> } | undefined;
  const lines = lineSplitter();
  try {
    slug = await d.slugFile(job.slugId);
    const stdin = job.attach ? await d.openInput() : undefined;
    const exitCode = await runOneOffProcess(job, slug.path, d, {
      stdin, signal,
      up: () => emit({ type: 'up' }),
      output: (c) => {
        if (job.attach) { emit({ type: 'output', data: c }); return; }
        const whole = lines.push(c);
        if (whole.length) emit({ type: 'output', data: whole.map((l) => `${l}\n`).join('') });
      },
    });
    stdin?.destroy();
    const last = lines.end();
    if (last.length) emit({ type: 'output', data: `${last[0]}\n` });
    emit({ type: 'exit', exitCode });
  } catch (e) {
    emit({ type: 'exit', exitCode: 1, message: (e as Error).message });
  } finally {
    await slug?.done();
  }
}
