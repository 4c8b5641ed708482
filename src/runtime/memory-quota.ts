// Heroku's memory errors for a dyno: R14 while it uses more than its quota (logged when first
// seen and then every 20 s, as Heroku's runtime metrics do), R15 when the kernel killed it at
// the hard limit.
const MB = 1024 * 1024;

export const R14 = 'Error R14 (Memory quota exceeded)';
export const R15 = 'Error R15 (Memory quota vastly exceeded)';
/** Heroku repeats R14 this often while a dyno stays over its quota. */
export const R14_REPEAT_MS = 20_000;

/** Heroku's "Process running mem=700M(136.7%)" line. */
export function memoryLine(usedBytes: number, quotaMb: number): string {
  const mb = Math.round(usedBytes / MB);
  return `Process running mem=${mb}M(${((100 * usedBytes) / (quotaMb * MB)).toFixed(1)}%)`;
}

/** Whether an R14 is due now: over the quota, and not logged within the last 20 s. */
export function r14Due(usedBytes: number, quotaMb: number, lastLoggedAt: number | undefined, now: number): boolean {
  return usedBytes > quotaMb * MB && (lastLoggedAt === undefined || now - lastLoggedAt >= R14_REPEAT_MS);
}

/** What the log says when the kernel killed a dyno at its hard memory limit. */
export function r15Lines(peakMb: number | undefined, quotaMb: number): string[] {
  return [...(peakMb ? [memoryLine(peakMb * MB, quotaMb)] : []), R15, 'Stopping process with SIGKILL'];
}
