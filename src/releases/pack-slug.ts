// Pack a build's app folder into its slug, and check the slug while it is packed. One tar stream,
// in the build's sandbox as the app's uid, is `tee`'d into `gzip -1` (the slug), into `tar -x`
// (this host's slug tree, when there is one) and out to the runner, which walks it as scanTarball
// walks a slug's unpacked form (unpacked bytes, entries, a well-formed archive): the same bounds on
// the very bytes that were compressed, without reading back and gunzipping the slug, and a bomb is
// stopped at the limit instead of being packed whole first. With a top-level node_modules folder the
// stream is the app without it (its end blocks cut) and then node_modules' own archive, each part
// its own gzip member; the second is kept (slug-layer.ts) and reused while its bytes are the same.
import fs from 'node:fs';
import path from 'node:path';
import type { RunSpec, Sandbox } from '../sandbox/sandbox.js';
import { describeResult } from '../sandbox/result.js';
import { readTenantFile } from '../sandbox/tenant-file.js';
import { q } from '../buildpacks/shell.js';
import { TarWalk, type TarScan, type TarTail } from '../git/tar-scan.js';
import type { InputLimits } from '../config.js';
import { appendFile, closeLayer, gzipIsize, openLayer, saveLayer, type KeptLayer } from './slug-layer.js';

const WHAT = 'The compiled slug';
/** The packing script's exit status when only the slug tree failed (the slug is what counts). */
const TREE_FAILED = 75;

export type PackedSlug = { ok: true; size: number; treeFailed: boolean; modules: 'none' | 'compressed' | 'kept' } | { ok: false; message: string };

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
  /** A root-only folder where this app's compressed node_modules is kept between builds (none: not kept). */
  layerDir?: string;
}

const isFile = (fd: number): boolean => fs.fstatSync(fd).isFile();
// Files the sandbox wrote in the tenant's workspace: never through a link, never blocking on a FIFO.
const openNoFollow = (file: string, flags: number): number | undefined => {
  try {
    const fd = fs.openSync(file, flags | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    if (isFile(fd)) return fd;
    fs.closeSync(fd);
  } catch { /* none, or a link */ }
  return undefined;
};

/** One packing run's outcome: the stream's verdict, where node_modules began in it and what the sandbox wrote. */
type Packed = { ok: false; message: string } | { ok: true; treeFailed: boolean; scan: TarScan; tail: TarTail | undefined; split: boolean; compressed: boolean; hint: string | undefined };

async function packOnce(sandbox: Sandbox, spec: PackSpec, files: { modules: string; hint: string }, kept: string | undefined): Promise<Packed> {
  const dir = spec.run.tmpDir ?? path.dirname(spec.slugFile);
  const gz = path.join(dir, 'slug-gzip.pipe');
  const gzModules = path.join(dir, 'slug-modules.pipe');
  const treePipe = path.join(dir, 'slug-tree.pipe');
  const toTree = spec.tree ? ` | tee -p ${q(treePipe)}` : '';
  // The hint: names, types, modes, owners, sizes, times and link targets under node_modules, hashed
  // (a folder's size is left out: it is its entries' history, not its content, and no tar header has it).
  const script = `set -o pipefail; cd ${q(spec.app)} || exit 1
rm -f ${q(gz)} ${q(gzModules)} ${q(treePipe)} ${q(files.modules)} ${q(files.hint)} ${q(files.hint)}.parts; mkfifo ${q(gz)}${spec.tree ? ` ${q(treePipe)}` : ''} || exit 1
split= compress=1
if [ -d node_modules ] && [ ! -L node_modules ]; then
  split=1
  hint="$(find ./node_modules -type d -printf '%y %m %U %G %T@ %P\\0' -o -printf '%y %m %U %G %s %T@ %P\\t%l\\0' | LC_ALL=C sort -z | sha1sum)" || exit 1
  hint="\${hint%% *}"
  printf '%s' "$hint" > ${q(files.hint)} || exit 1
  [ "$hint" = ${q(kept ?? '-')} ] && compress=
  if [ -n "$compress" ]; then mkfifo ${q(gzModules)} || exit 1; gzip -1 < ${q(gzModules)} > ${q(files.modules)} & m=$!; fi
fi
echo "\${split:-0} \${compress:-0}" > ${q(files.hint)}.parts || exit 1
gzip -1 < ${q(gz)} > ${q(spec.slugFile)} & g=$!
${spec.tree ? `tar -xf ${q(treePipe)} -C ${q(spec.tree)} --no-same-owner 2>/dev/null & x=$!\n` : ''}{
  if [ -z "$split" ]; then tar -cf - . | tee -p ${q(gz)} || exit 1
  else
    tar -cf - -b1 --anchored --exclude=./node_modules . | head -c -1024 | tee -p ${q(gz)} || exit 1
    if [ -n "$compress" ]; then tar -cf - --sort=name ./node_modules | tee -p ${q(gzModules)} || exit 1
    else tar -cf - --sort=name ./node_modules || exit 1
    fi
  fi
}${toTree} || exit 1
wait $g || exit 1
if [ -n "$m" ]; then wait $m || exit 1; fi
${spec.tree ? `wait $x || exit ${TREE_FAILED}\n` : ''}`;
  fs.rmSync(spec.slugFile, { force: true }); // bin/compile may have left a link there (to /dev/zero, say)
  const walk = new TarWalk(spec.limits, WHAT, undefined, undefined, 'node_modules/');
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
  const read = async (file: string) => { const t = await readTenantFile(file, path.dirname(file), { maxBytes: 100, label: 'The packing note' }); return t.ok ? t.text : null; };
  const parts = /^([01]) ([01])\n?$/.exec(await read(`${files.hint}.parts`) ?? '');
  if (!parts) return { ok: false, message: 'Compressing the slug failed: the packing script did not say how it packed.' };
  const hint = await read(files.hint);
  return { ok: true, treeFailed, scan: walk.end(), tail: walk.tailHash(), split: parts[1] === '1', compressed: parts[1] === '0' || parts[2] === '1', hint: hint && /^[0-9a-f]{40}$/.test(hint) ? hint : undefined };
}

/**
 * Pack `app` into `slugFile` (gzip -1: twice as fast as gzip's default level on every build; the
 * slug about a quarter larger, unpacked as fast). Refused with scanTarball's words when the stream
 * breaks the unpacked or entry limits, with Heroku's when the slug is over SLIPWAY_MAX_SLUG_MB.
 */
export async function packSlug(sandbox: Sandbox, spec: PackSpec): Promise<PackedSlug> {
  const dir = path.dirname(spec.slugFile);
  const files = { modules: path.join(dir, 'slug-modules.gz'), hint: path.join(spec.run.tmpDir ?? dir, 'slug-modules.hint') };
  const kept = spec.layerDir ? openLayer(spec.layerDir) : undefined;
  try {
    let packed = await packOnce(sandbox, spec, files, kept?.hint);
    if (packed.ok && !packed.scan.ok) return { ok: false, message: packed.scan.message };
    let joined = packed.ok ? join(spec, packed, files, kept) : undefined;
    // The hint matched but the bytes did not (changed in place, times and sizes kept): pack it all again.
    if (packed.ok && joined === 'again') {
      packed = await packOnce(sandbox, spec, files, undefined);
      if (packed.ok && !packed.scan.ok) return { ok: false, message: packed.scan.message };
      joined = packed.ok ? join(spec, packed, files, undefined) : undefined;
    }
    if (!packed.ok) return packed;
    if (joined === undefined || joined === 'again') return { ok: false, message: 'The compiled slug is not a regular file.' };
    const size = joined.size;
    spec.log(`-----> Compressing...\n       Done: ${(size / 1024 / 1024).toFixed(1)}M\n`);
    const max = spec.limits.slugBytes;
    if (size > max) return { ok: false, message: `Compiled slug size: ${(size / 1024 / 1024).toFixed(1)}M is too large (max is ${Math.round(max / 1024 / 1024)}M, SLIPWAY_MAX_SLUG_MB).` };
    return { ok: true, size, treeFailed: packed.treeFailed, modules: joined.modules };
  } finally {
    closeLayer(kept);
  }
}

/**
 * The slug's node_modules member appended to its first: the one just compressed (kept for the next
 * build when the walk's split is the sandbox's), or the kept one when the walked bytes are its
 * bytes; 'again' when the sandbox skipped compressing and they are not.
 */
function join(spec: PackSpec, p: Extract<Packed, { ok: true }>, files: { modules: string }, kept: KeptLayer | undefined): { size: number; modules: 'none' | 'compressed' | 'kept' } | 'again' | undefined {
  const slug = openNoFollow(spec.slugFile, fs.constants.O_RDWR | fs.constants.O_APPEND);
  if (slug === undefined) return undefined;
  try {
    const size = () => fs.fstatSync(slug).size;
    if (!p.split) return { size: size(), modules: 'none' };
    const at = p.tail?.offset;
    const firstFits = at !== undefined && gzipIsize(slug) === at % 2 ** 32;
    if (!p.compressed) {
      if (!kept || !firstFits || p.tail?.sha256 !== kept.sha256) return 'again';
      appendFile(kept.fd, slug);
      return { size: size(), modules: 'kept' };
    }
    const modules = openNoFollow(files.modules, fs.constants.O_RDONLY);
    if (modules === undefined) return undefined;
    try {
      const total = p.scan.ok ? p.scan.unpackedBytes : NaN;
      const secondFits = at !== undefined && gzipIsize(modules) === (total - at) % 2 ** 32;
      appendFile(modules, slug);
      // Kept only when it could be a slug's: root copies no more than the slug limit out of the workspace.
      if (spec.layerDir && firstFits && secondFits && p.tail && p.hint && fs.fstatSync(modules).size <= spec.limits.slugBytes) {
        try { saveLayer(spec.layerDir, p.tail.sha256, p.hint, modules); } catch { /* not kept: the next build compresses it */ }
      }
    } finally {
      fs.closeSync(modules);
      fs.rmSync(files.modules, { force: true });
    }
    return { size: size(), modules: 'compressed' };
  } finally {
    fs.closeSync(slug);
  }
}
