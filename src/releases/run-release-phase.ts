// Runner side of the release phase: the Procfile's `release:` in a one-off dyno with the new slug
// and config. Exit 0 → the release may go live; anything else (exit, crash, time limit) → failed.
import type { Sandbox } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { forTenant } from '../sandbox/tenant-sandbox.js';
import { killMarked } from '../sandbox/process-tree.js';
import { removeWorkspace } from '../ci/workspace.js';
import { unpackSlug, dynoEnv, dynoCommand } from '../runtime/slug-workspace.js';
import type { ReleaseEvent, ReleaseJob } from './jobs.js';
import type { DynoNetworks } from '../spaces/space-network.js';
import type { SlugSource, SlugTrees } from '../runtime/slug-trees.js';
import { dynoSize, limitsFor } from '../core/dyno-size.js';

/** `slug`: fetched only when this host has no tree of it (`trees`). */
export async function runReleasePhase(job: ReleaseJob, deps: { sandbox: Sandbox; workRoot: string; slug: SlugSource; trees?: SlugTrees; network?: DynoNetworks }, emit: (e: ReleaseEvent) => void, signal: AbortSignal): Promise<void> {
  const id = `release-${job.releaseId}`;
  const log = (data: Buffer | string) => emit({ type: 'output', data });
  let dynoNet: Awaited<ReturnType<DynoNetworks['forApp']>>;
  try {
    // In a space the release phase runs on the space's network, as every dyno of the app does.
    dynoNet = await deps.network?.forApp(job.appId, id);
    const sandbox = forTenant(deps.sandbox, job.tenant);
    const size = dynoSize(job.size);
    const ws = await unpackSlug(sandbox, deps.workRoot, id, deps.slug, limitsFor(size).diskMb, deps.trees);
    log(`Running release command: ${job.command}\n`);
    const r = await sandbox.run({
      argv: dynoCommand(ws, job.command), cwd: ws.app, env: dynoEnv(ws, job.config, { DYNO: 'release.1', PORT: '5000' }),
      writable: [ws.root], tmpDir: ws.tmp, marker: id, netns: dynoNet?.netns, limits: limitsFor(size), timeoutMs: job.timeoutSeconds * 1000, signal, onStdout: log, onStderr: log,
    });
    if (r.exitCode === 0) emit({ type: 'end', ok: true, message: null });
    else {
      const why = r.reason === 'timed-out' ? `timed out after ${job.timeoutSeconds} s` : describeResult(r);
      emit({ type: 'end', ok: false, message: `Release command ${why}; v${job.version} was not deployed and the current release keeps running.` });
    }
  } catch (e) {
    emit({ type: 'end', ok: false, message: `The release phase could not run: ${(e as Error).message}` });
  } finally {
    killMarked((m) => m === id);
    await dynoNet?.release();
    await removeWorkspace(deps.workRoot, id);
  }
}
