// A commit of a connected repository as a source blob: fetched into the pipeline's mirror, then
// `git archive` of it stored like an uploaded source (the same blob a `git push` makes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runHost } from '../sandbox/host.js';
import { createSource } from '../store/sources.js';
import { storeSource } from '../git/store-source.js';
import { signedQuery } from '../core/signed-url.js';
import type { AppContext } from '../app-context.js';
import { fetchCommit } from './github-mirror.js';
import { treeOverLimit, treeSize } from '../git/tree-size.js';
import { fail } from '../core/errors.js';

/** The server's own address for URLs handed out in the background (no request to take it from). */
export const serverBaseUrl = (ctx: AppContext): string => ctx.config.publicUrl ?? ctx.selfUrl;

/** Fetch `sha` from `cloneUrl` and store its tree as a source; returns the signed blob URL. */
export async function commitSource(ctx: AppContext, pipelineId: string, cloneUrl: string, sha: string): Promise<string> {
  const mirror = await fetchCommit(ctx.config.dataDir, pipelineId, cloneUrl, sha);
  const over = treeOverLimit(`The source of ${sha.slice(0, 7)}`, await treeSize(sha, { cwd: mirror }), ctx.config.inputLimits);
  if (over) throw fail('source_too_large', over);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-archive-'));
  try {
    const file = path.join(tmp, 'source.tar.gz');
    const out = fs.createWriteStream(file);
    const r = await runHost('git', ['archive', '--format=tar.gz', sha], { cwd: mirror, stdoutTo: out, timeoutMs: 600_000 });
    await new Promise((res) => out.close(res));
    if (r.exitCode !== 0) throw new Error(`git archive of ${sha} failed: ${r.stderr.trim()}`);
    const sourceId = await createSource(ctx.store.db);
    await storeSource(ctx, sourceId, fs.createReadStream(file));
    const pathname = `/sources/${sourceId}/blob`;
    return `${serverBaseUrl(ctx)}${pathname}?${signedQuery(ctx, pathname)}`;
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
}
