// The state of an app's add-on server (its Postgres, its Redis) as its host's supervisor sees it: up,
// crashed (its process ended, or a start failed; started again after a back-off, core/crash-backoff.ts),
// starting (a start under way). Shown with the add-on (`addons`, the API's `server` field).
import { statusMachine } from './status-machine.js';

export type AddonServerState = 'starting' | 'up' | 'crashed';

export const ADDON_SERVER = statusMachine<AddonServerState>('add-on server', {
  starting: ['up', 'crashed'],
  up: ['crashed'],
  crashed: ['starting'],
});

/** What the store keeps of an add-on server's supervision: its state, the restarts by its supervisor, and how its process last ended. */
export interface AddonServerStatus { state: AddonServerState; restarts: number; last_exit: string | null; changed_at: string }
