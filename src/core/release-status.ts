// Release statuses as pure transitions (Heroku: pending | succeeded | failed).
export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';
export type ReleaseEvent = { type: 'release-phase-passed' } | { type: 'release-phase-failed' } | { type: 'no-release-phase' };

export function nextReleaseStatus(from: ReleaseStatus, e: ReleaseEvent): ReleaseStatus {
  if (from !== 'pending') throw new Error(`a ${from} release cannot change (${e.type})`);
  return e.type === 'release-phase-failed' ? 'failed' : 'succeeded';
}
