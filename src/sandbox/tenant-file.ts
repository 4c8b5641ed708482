// Reading a file out of a tenant's workspace as root, safely: the tenant controls every name in it,
// so a Procfile may be a symbolic link to /etc/shadow, sit in a linked folder that leads out, be a
// FIFO that never answers, or be /dev/zero. Only regular files inside the workspace are read, with
// a size limit, never blocking the event loop.
import fs from 'node:fs';
import path from 'node:path';

export type TenantRead = { ok: true; text: string | null } | { ok: false; errorId: 'unsafe_file' | 'file_too_large'; message: string };

const ONLY_REGULAR = 'Slipway reads only regular files inside the app.';

const inside = (root: string, p: string): boolean => p === root || p.startsWith(root + path.sep);

function kind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

const unsafe = (message: string): TenantRead => ({ ok: false, errorId: 'unsafe_file', message });

const tooLarge = (label: string, maxBytes: number): TenantRead =>
  ({ ok: false, errorId: 'file_too_large', message: `${label} is larger than ${Math.floor(maxBytes / 1024)} KB; Slipway reads at most that much of it.` });

/**
 * The text of `file` (null when absent), only if it resolves to a regular file inside `within` (a
 * folder the tenant cannot replace, e.g. the workspace root) and is at most `maxBytes` long.
 * `label` names the file in errors ("Procfile", "test-results/x.xml").
 */
export async function readTenantFile(file: string, within: string, opts: { maxBytes: number; label: string }): Promise<TenantRead> {
  const { label, maxBytes } = opts;
  let link: fs.Stats;
  try { link = await fs.promises.lstat(file); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: true, text: null };
    throw e;
  }
  const root = await fs.promises.realpath(within);
  let real: string;
  try { real = await fs.promises.realpath(file); } catch {
    return unsafe(`${label} is a symbolic link to a path that does not exist in the app; ${ONLY_REGULAR}`);
  }
  if (!inside(root, real)) {
    return unsafe(link.isSymbolicLink()
      ? `${label} is a symbolic link to a path outside the app; ${ONLY_REGULAR}`
      : `${label} is inside a folder that is a symbolic link to a path outside the app; ${ONLY_REGULAR}`);
  }
  const st = await fs.promises.lstat(real);
  if (!st.isFile()) return unsafe(`${label} is ${kind(st)}; ${ONLY_REGULAR}`);
  if (st.size > maxBytes) return tooLarge(label, maxBytes);
  // O_NONBLOCK: a FIFO swapped in after the checks cannot hang the open; O_NOFOLLOW: nor a link.
  const fh = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  try {
    const opened = await fh.stat();
    if (!opened.isFile()) return unsafe(`${label} is ${kind(opened)}; ${ONLY_REGULAR}`);
    // What was really opened, whatever was renamed meanwhile: the kernel's own name for the descriptor.
    const where = await fs.promises.readlink(`/proc/self/fd/${fh.fd}`).catch(() => real);
    if (!inside(root, where)) return unsafe(`${label} changed into a path outside the app while Slipway read it; ${ONLY_REGULAR}`);
    const buf = Buffer.alloc(Math.min(maxBytes, opened.size) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) break;
    }
    if (n > maxBytes) return tooLarge(label, maxBytes);
    if (n > opened.size) return unsafe(`${label} grew while Slipway read it; ${ONLY_REGULAR}`);
    return { ok: true, text: buf.subarray(0, n).toString('utf8') };
  } finally { await fh.close(); }
}

/** A folder of the workspace that root may list: a real folder (or a link to one) inside `within`. */
export async function tenantDir(dir: string, within: string, label: string): Promise<{ ok: true; dir: string | null } | { ok: false; message: string }> {
  let real: string;
  try { real = await fs.promises.realpath(dir); } catch { return { ok: true, dir: null }; }
  if (!inside(await fs.promises.realpath(within), real)) return { ok: false, message: `${label} is a symbolic link to a path outside the app; ${ONLY_REGULAR}` };
  const st = await fs.promises.lstat(real);
  return st.isDirectory() ? { ok: true, dir: real } : { ok: true, dir: null };
}
