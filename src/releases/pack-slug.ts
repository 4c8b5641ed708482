// Pack a build's app folder into its slug, and check the slug while it is packed. One `tar -c`
// stream, in the build's sandbox as the app's uid, is `tee`'d into `gzip -1` (the slug), into
// `tar -x` (this host's slug tree, when there is one) and out to the runner, which walks it as
// scanTarball walks a slug's unpacked form (unpacked bytes, entries, a well-formed archive): the
// same bounds on the very bytes that were compressed, without reading back and gunzipping the
// slug, and a bomb is stopped at the limit instead of being packed whole first.
import fs from 'node:fs';
import path from 'node:path';
import type { RunSpec, Sandbox } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { q } from '../buildpacks/shell.js';
import { TarWalk } from '../git/tar-scan.js';
import type { InputLimits } from '../config.js';

const WHAT = 'The compiled slug';
/** The packing script's exit status when only the slug tree failed (the slug is what counts). */
const TREE_FAILED = 75;

export type PackedSlug = { ok: true; size: number; treeFailed: boolean } | { ok: false; message: string };

export interface PackSpec {
  /** The build's command settings (cwd, env, tmpDir, marker, timeout, onStderr); argv, stdout and writable are set here. */
  run: Omit<RunSpec, 'argv' | 'onStdout' | 'writable' | 'signal'>;
  signal: AbortSignal;
  app: string;
  /** Where the slug is written (in the workspace), and the folder it and the pipes are in. */
  slugFile: string;
  writable: string[];
  /** This host's slug tree to fill from the same stream, if any. */
  tree?: string;
  limits: InputLimits;
  /** The build's log (the "Compressing... Done" lines, as Heroku prints them). */
  log(line: string): void;
}

/**
 * Pack `app` into `slugFile` (gzip -1: twice as fast as gzip's default level on every build; the
 * slug about a quarter larger, unpacked as fast). Refused with scanTarball's words when the stream
 * breaks the unpacked or entry limits, with Heroku's when the slug is over SLIPWAY_MAX_SLUG_MB.
 */
export async function packSlug(sandbox: Sandbox, spec: PackSpec): Promise<PackedSlug> {
  const gz = path.join(spec.run.tmpDir ?? path.dirname(spec.slugFile), 'slug-gzip.pipe');
  const treePipe = path.join(spec.run.tmpDir ?? path.dirname(spec.slugFile), 'slug-tree.pipe');
  const script = `set -o pipefail; rm -f ${q(gz)} ${q(treePipe)}; mkfifo ${q(gz)}${spec.tree ? ` ${q(treePipe)}` : ''} || exit 1
gzip -1 < ${q(gz)} > ${q(spec.slugFile)} & g=$!
${spec.tree ? `tar -xf ${q(treePipe)} -C ${q(spec.tree)} --no-same-owner 2>/dev/null & x=$!\n` : ''}tar -cf - -C ${q(spec.app)} . | tee -p ${q(gz)}${spec.tree ? ` ${q(treePipe)}` : ''} || exit 1
wait $g || exit 1
${spec.tree ? `wait $x || exit ${TREE_FAILED}\n` : ''}`;
  fs.rmSync(spec.slugFile, { force: true }); // bin/compile may have left a link there (to /dev/zero, say)
  const walk = new TarWalk(spec.limits, WHAT);
  const stop = new AbortController();
  let refused: string | undefined;
  const onStdout = (chunk: Buffer) => {
    if (refused !== undefined) return;
    try { refused = walk.push(chunk)?.message; } catch (e) { refused = `${WHAT} is not a valid tar archive (${(e as Error).message}).`; }
    if (refused !== undefined) stop.abort(); // stop packing a bomb at the limit
  };
  const r = await sandbox.run({ ...spec.run, argv: ['bash', '-c', script], onStdout, writable: spec.writable, signal: AbortSignal.any([spec.signal, stop.signal]) });
  if (refused !== undefined) return { ok: false, message: refused };
  const treeFailed = spec.tree !== undefined && r.reason === 'exited' && r.exitCode === TREE_FAILED;
  if (r.exitCode !== 0 && !treeFailed) return { ok: false, message: `Compressing the slug ${describeResult(r)}.` };
  if (!fs.lstatSync(spec.slugFile).isFile()) return { ok: false, message: 'The compiled slug is not a regular file.' };
  const size = fs.statSync(spec.slugFile).size;
  spec.log(`-----> Compressing...\n       Done: ${(size / 1024 / 1024).toFixed(1)}M\n`);
  const max = spec.limits.slugBytes;
  if (size > max) return { ok: false, message: `Compiled slug size: ${(size / 1024 / 1024).toFixed(1)}M is too large (max is ${Math.round(max / 1024 / 1024)}M, SLIPWAY_MAX_SLUG_MB).` };
  const scan = walk.end();
  if (!scan.ok) return { ok: false, message: scan.message };
  return { ok: true, size, treeFailed };
}
