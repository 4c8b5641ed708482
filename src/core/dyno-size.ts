// Dyno sizes (Heroku's dyno types) and the resource limits each one gives a sandboxed command.
// Memory and process limits are Heroku's documented numbers; CPU shares follow Heroku's compute
// multipliers (1x, 2x, 12x, 50x); disk is Slipway's choice (Heroku documents none), twice the
// memory quota at least 2 GB so an unpacked 500 MB slug always fits.

/** The limits one sandboxed command runs under (see src/sandbox/cgroups.ts for how they are enforced). */
export interface ResourceLimits {
  /** Hard memory limit in MB: past it the kernel kills the command (Heroku's R15). */
  memoryMb: number;
  /** Processes and threads at once (Heroku's "process/thread limit"). */
  pids: number;
  /** Relative CPU weight under contention (cgroup v1 cpu.shares; 1024 = one standard-1x). */
  cpuShares: number;
  /** Bytes written into the command's workspace and /tmp, in MB. */
  diskMb: number;
}

export interface DynoSize {
  name: string;
  /** Heroku's memory quota: over it a dyno logs R14. */
  quotaMb: number;
  /** The kernel's limit: Heroku lets standard dynos reach 2× their quota (in swap) before R15. */
  hardLimitMb: number;
  pids: number;
  cpuShares: number;
  diskMb: number;
}

const size = (name: string, quotaMb: number, pids: number, compute: number): DynoSize =>
  ({ name, quotaMb, hardLimitMb: 2 * quotaMb, pids, cpuShares: 1024 * compute, diskMb: Math.max(2048, 2 * quotaMb) });

/** Heroku's common-runtime dyno types, in order of size. */
export const DYNO_SIZES: readonly DynoSize[] = Object.freeze([
  size('eco', 512, 256, 1),
  size('basic', 512, 256, 1),
  size('standard-1x', 512, 256, 1),
  size('standard-2x', 1024, 512, 2),
  size('performance-m', 2560, 16384, 12),
  size('performance-l', 14336, 32768, 50),
]);

/** What a formation gets when no size was chosen (Heroku's default for paid apps). */
export const DEFAULT_DYNO_SIZE = 'standard-1x';
/** Heroku CI runs test nodes on performance-m unless app.json chooses a size. */
export const DEFAULT_TEST_SIZE = 'performance-m';
/** Builds: Slipway compiles on a performance-m sized sandbox (Heroku's build dynos are not sized by the app). */
export const BUILD_SIZE = 'performance-m';

// Spellings Heroku accepts besides the names: its legacy types and the short "1X"/"2X".
const ALIASES: Record<string, string> = { free: 'eco', hobby: 'basic', '1x': 'standard-1x', '2x': 'standard-2x', px: 'performance-l' };

export type SizeLookup = { ok: true; size: DynoSize } | { ok: false; message: string };

/** Look a size up the way Heroku does: case-insensitive, legacy names allowed. */
export function lookupDynoSize(name: string): SizeLookup {
  const key = name.trim().toLowerCase();
  const found = DYNO_SIZES.find((s) => s.name === (ALIASES[key] ?? key));
  if (found) return { ok: true, size: found };
  return { ok: false, message: `"${name}" is not a dyno size. Valid sizes: ${DYNO_SIZES.map((s) => s.name).join(', ')}.` };
}

/** A size known to be valid (stored or already checked); unknown names fall back to the default. */
export function dynoSize(name: string | undefined): DynoSize {
  const r = lookupDynoSize(name ?? DEFAULT_DYNO_SIZE);
  return r.ok ? r.size : DYNO_SIZES.find((s) => s.name === DEFAULT_DYNO_SIZE)!;
}

/** The limits a command of this size runs under. */
export function limitsFor(s: DynoSize): ResourceLimits {
  return { memoryMb: s.hardLimitMb, pids: s.pids, cpuShares: s.cpuShares, diskMb: s.diskMb };
}
