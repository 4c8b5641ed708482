// Reading the kernel's mount table and losetup's list, to find the workspace filesystems of this
// server (and a killed one's leftovers) without trusting anything a tenant named.
import fs from 'node:fs';
import path from 'node:path';

/** `p` is `dir` or lies inside it (plain path prefix on `/` boundaries). */
export const isUnder = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');

/** The mount points of a /proc/PID/mountinfo text (field 5, with the kernel's octal escapes undone). */
export function mountPoints(mountinfo: string): string[] {
  return mountinfo.split('\n').filter(Boolean).map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))));
}

/** The mount points at or under `dir` in this process's mount namespace, outermost first. */
export function mountsUnder(dir: string): string[] {
  return mountPoints(fs.readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => isUnder(m, dir)).sort((a, b) => a.length - b.length);
}

/** Loop devices in `losetup --list --noheadings --raw --output NAME,BACK-FILE` whose image lies in `imagesDir`. */
export function imagesToDetach(losetupRaw: string, imagesDir: string, keep: ReadonlySet<string> = new Set()): string[] {
  const devices: string[] = [];
  for (const line of losetupRaw.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    // Raw output escapes blanks as \x20; a deleted image is listed with " (deleted)" after its name.
    const file = line.slice(space + 1).replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))).replace(/ \(deleted\)$/, '');
    if (isUnder(file, imagesDir) && file !== imagesDir && !keep.has(path.basename(file))) devices.push(line.slice(0, space));
  }
  return devices;
}
