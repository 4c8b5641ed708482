// The sign-in rate limit as a pure rule: so many failures per key (client address, token prefix)
// within a window, then every attempt is refused until the oldest failure leaves the window.

export const SIGN_IN_LIMIT = { failures: 10, windowMs: 5 * 60_000 } as const;

/**
 * The keys one attempt counts against: the client's address, and the presented token's prefix —
 * its first 6 characters after the kind (`slp_` API, `slpa_` agent, `slpr_` router), so tokens of one kind do not
 * all share a handful of buckets.
 */
export function signInKeys(address: string, token: string | undefined): string[] {
  return [`addr:${address}`, ...(token ? [`token:${token.replace(/^slp[ar]?_/, '').slice(0, 6)}`] : [])];
}

/** Whether a key with these failure times (ISO, any order) may try now; if not, in how many seconds. */
export function signInAllowed(failedAt: string[], nowMs: number, limit: { failures: number; windowMs: number } = SIGN_IN_LIMIT): { ok: true } | { ok: false; retryAfterSeconds: number } {
  const recent = failedAt.map((t) => Date.parse(t)).filter((t) => t > nowMs - limit.windowMs).sort((a, b) => b - a);
  if (recent.length < limit.failures) return { ok: true };
  // The attempt is allowed again once the failure that made the count reach the limit is out of the window.
  const oldestCounted = recent[limit.failures - 1]!;
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldestCounted + limit.windowMs - nowMs) / 1000)) };
}
