// The server's V8 heap, sized for a control plane that idles most of the time (issue #18: idle RSS
// ≤ 80 MB). By default V8 sizes its heap for throughput: the young generation grows to 32 MB for
// the start-up burst, the old generation grows in large steps, and an idle process never runs the
// full collection that would drop what only the start-up needed (its code and garbage). Measured in
// docs/benchmarks.md (bench/scale, "The idle server's memory"). The young generation's most is set
// where node starts (bin/slipway.js: 2 MB a half): grown to V8's 16 MB at this heap's size, it made V8
// collect the whole heap every few batches of router lines (bench/router, stop 37).
import v8 from 'node:v8';
import vm from 'node:vm';

// V8's own (node --v8-options): bytecode not run in this many full collections is dropped.
const DEFAULT_BYTECODE_OLD_AGE = 5;

/** Before the server's modules load, until collectStartupGarbage: V8 favours memory over speed (a small young generation, an old one grown in small steps). */
export function favourSmallHeap(): void {
  v8.setFlagsFromString('--optimize-for-size');
}

/**
 * Once start-up is over: one memory-reducing full collection (it compacts and gives pages back),
 * then one more, which flushes the bytecode of functions not run since (most of them ran once, at
 * start-up); then V8 sizes the heap its own way again, so that requests cost what they cost before.
 * Synchronous; returns the milliseconds it took.
 */
export function collectStartupGarbage(): number {
  // The `gc` function is only given to contexts made while --expose-gc is set; the flag is put back at once.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
  v8.setFlagsFromString('--no-expose-gc');
  const t = performance.now();
  // Bytecode counts as old (flushable) after one collection it was not run in, for these collections only.
  v8.setFlagsFromString('--bytecode-old-age=1');
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  gc();
  v8.setFlagsFromString(`--bytecode-old-age=${DEFAULT_BYTECODE_OLD_AGE}`);
  v8.setFlagsFromString('--no-optimize-for-size');
  return performance.now() - t;
}
