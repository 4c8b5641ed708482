// Small text formats the pages share: ages, durations, short commits, status colours.

/** "12s", "5m", "3h", "2d" between an ISO time and now. */
export function age(iso: string | null, nowMs: number): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** "850ms", "42s", "3m 05s", "2h 01m". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/** How long a run took, or has taken so far. */
export function runDuration(createdAt: string, finishedAt: string | null, nowMs: number): string {
  return duration((finishedAt ? Date.parse(finishedAt) : nowMs) - Date.parse(createdAt));
}

export const shortSha = (sha: string | null | undefined): string => (sha ? sha.slice(0, 7) : '');

/** The colour family of a status: ok, bad, warn (errored/cancelled), busy, idle. */
export function statusTone(status: string): 'ok' | 'bad' | 'warn' | 'busy' | 'idle' {
  if (status === 'succeeded' || status === 'up') return 'ok';
  if (status === 'failed' || status === 'crashed') return 'bad';
  if (status === 'errored' || status === 'cancelled' || status === 'skipped') return 'warn';
  if (status === 'pending' || status === 'down' || status === 'queued') return 'idle';
  return 'busy';
}
