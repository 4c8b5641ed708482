// Response times kept as counts in fixed bins (a minute of traffic is 15 numbers however many
// requests it had), from which percentiles are read back: the fixed cost per app that lets the
// metrics keep a week of minutes.

/** Upper bounds of the bins, ms; the last bin holds everything slower than 30 s. */
export const BIN_UPPER_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, Infinity] as const;
export const BIN_COUNT = BIN_UPPER_MS.length;

/** The bin a response time falls in. */
export function binOf(ms: number): number {
  // A loop, not findIndex: this runs for every request the router serves.
  for (let i = 0; i < BIN_COUNT; i++) if (ms <= BIN_UPPER_MS[i]!) return i;
  return BIN_COUNT - 1;
}

/** The p-th percentile (0 < p ≤ 1) of binned times, interpolated inside its bin; null without requests. */
export function percentile(bins: readonly number[], p: number): number | null {
  const total = bins.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = p * total;
  let below = 0;
  for (let i = 0; i < bins.length; i++) {
    const n = bins[i] ?? 0;
    if (n && below + n >= rank) {
      const lower = i === 0 ? 0 : BIN_UPPER_MS[i - 1]!;
      const upper = BIN_UPPER_MS[i]!;
      if (!Number.isFinite(upper)) return lower;
      return Math.round(lower + ((upper - lower) * (rank - below)) / n);
    }
    below += n;
  }
  return null;
}
