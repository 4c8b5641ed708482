// An app's compressed node_modules, kept from its last build on this host, so a build whose
// node_modules is the same bytes need not compress it again. A slug is packed in two gzip members,
// the app without node_modules and node_modules (one tar stream when unpacked: gzip readers take
// members one after another), and the second is kept here under the SHA-256 of its tar stream as
// the runner walked it, with a hint the build's sandbox can check cheaply (a fingerprint of the
// folder's names, sizes, modes and times). The hint only decides whether the sandbox skips the
// compression; the kept member is used only when the runner's own hash of the walked stream is its
// hash, so a slug always unpacks to the stream that was checked. Root-only folder, written by root.
import fs from 'node:fs';
import path from 'node:path';

const SHA = /^[0-9a-f]{64}$/;
const HINT = /^[0-9a-f]{40}$/;
const CURRENT = 'current.json';
let seq = 0;

export interface KeptLayer {
  sha256: string;
  hint: string;
  /** The member, opened: a build that replaces it meanwhile does not take it from this one. */
  fd: number;
}

/** The layer kept in `dir`, opened, when there is a well-formed one. */
export function openLayer(dir: string): KeptLayer | undefined {
  let fd: number | undefined;
  try {
    const c = JSON.parse(fs.readFileSync(path.join(dir, CURRENT), 'utf8')) as { sha256?: unknown; hint?: unknown };
    if (typeof c.sha256 !== 'string' || !SHA.test(c.sha256) || typeof c.hint !== 'string' || !HINT.test(c.hint)) return undefined;
    fd = fs.openSync(path.join(dir, `${c.sha256}.gz`), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    if (!fs.fstatSync(fd).isFile()) { fs.closeSync(fd); return undefined; }
    return { sha256: c.sha256, hint: c.hint, fd };
  } catch {
    if (fd !== undefined) fs.closeSync(fd);
    return undefined;
  }
}

export function closeLayer(layer: KeptLayer | undefined): void {
  if (layer) try { fs.closeSync(layer.fd); } catch { /* closed */ }
}

/** A gzip file's last member's ISIZE: the uncompressed length of its data modulo 2^32. */
export function gzipIsize(fd: number): number | undefined {
  const size = fs.fstatSync(fd).size;
  if (size < 18) return undefined;
  const b = Buffer.alloc(4);
  fs.readSync(fd, b, 0, 4, size - 4);
  return b.readUInt32LE(0);
}

/** Append the whole of `from` (an open file) to `to` (an open file). */
export function appendFile(from: number, to: number): void {
  const buf = Buffer.alloc(1 << 20);
  for (let pos = 0; ;) {
    const n = fs.readSync(from, buf, 0, buf.length, pos);
    if (n === 0) return;
    for (let off = 0; off < n;) off += fs.writeSync(to, buf, off, n - off);
    pos += n;
  }
}

/** Keep `member` (an open gzip file) in `dir` as the layer with this hash and hint; earlier ones go. */
export function saveLayer(dir: string, sha256: string, hint: string, member: number): void {
  if (!SHA.test(sha256) || !HINT.test(hint)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.tmp-${process.pid}-${++seq}`);
  const out = fs.openSync(tmp, 'wx', 0o600);
  try { appendFile(member, out); } finally { fs.closeSync(out); }
  fs.renameSync(tmp, path.join(dir, `${sha256}.gz`));
  const cur = path.join(dir, `.tmp-${process.pid}-${++seq}`);
  fs.writeFileSync(cur, JSON.stringify({ sha256, hint }), { mode: 0o600 });
  fs.renameSync(cur, path.join(dir, CURRENT));
  // A build that opened an earlier one holds its descriptor: removing the name does not take it away.
  for (const name of fs.readdirSync(dir)) {
    if (name === CURRENT || name === `${sha256}.gz`) continue;
    const p = path.join(dir, name);
    // Another build's file being written is young; one a killed process left is not.
    if (name.startsWith('.tmp-')) { try { if (Date.now() - fs.lstatSync(p).mtimeMs < 600_000) continue; } catch { continue; } }
    fs.rmSync(p, { force: true });
  }
}
