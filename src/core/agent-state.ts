// An agent's state as `slipway agents` shows it: revoked for good, else online while it heartbeats.
export type AgentState = 'online' | 'offline' | 'revoked';

/** Online when last seen within `windowMs` (the job lease: a silent agent's jobs are taken over after it). */
export function agentState(a: { revoked_at: string | null; last_seen_at: string | null }, nowMs: number, windowMs: number): AgentState {
  if (a.revoked_at) return 'revoked';
  if (!a.last_seen_at) return 'offline';
  return nowMs - Date.parse(a.last_seen_at) <= windowMs ? 'online' : 'offline';
}
