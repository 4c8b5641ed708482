// What an agent process writes down about each app add-on server it runs, so that the server (its
// Postgres, its Redis) outlives the process as the app's dynos do and the next process adopts it:
// the add-on, where it listens (its namespace and address on the default network), and its
// launcher (see sandbox/outlive-records.ts). Its output goes to the record's output file.
import { OutliveRecords } from '../sandbox/outlive-records.js';
import type { Tenant } from '../sandbox/user.js';

export interface AddonRecord {
  id: string;
  appId: string;
  service: 'postgresql' | 'redis';
  host: string;
  port: number;
  /** Its namespace on the default network (none on the host network). */
  netns?: string;
  proc: { pid: number; startTime: string; marker: string };
  startedAt: string;
  /** The uid it runs as (it is started again as that uid when it ends: addon-supervisor.ts). */
  tenant?: Tenant;
  /** Its supervisor's count of restarts, and how its last process ended. */
  restarts?: number;
  lastExit?: string | null;
}

export class AddonRecords extends OutliveRecords<AddonRecord> {
  constructor(dir: string) { super(dir, (r) => r.id); }
}
