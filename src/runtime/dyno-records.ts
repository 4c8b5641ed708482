// What an agent process writes down about each dyno it runs (see sandbox/outlive-records.ts): the
// spec it was started from, where it listens, its namespace and workspace, its launcher, and how far
// its output was read.
import type { Workspace } from '../ci/workspace.js';
import { OutliveRecords } from '../sandbox/outlive-records.js';
import type { DynoSpec } from './dyno-manager.js';

export interface DynoRecord {
  spec: DynoSpec;
  host: string;
  port: number;
  /** Its namespace and address (the default network: spaceId ''). */
  net?: { netns: string; address: string; spaceId: string };
  ws: Workspace;
  proc: { pid: number; startTime: string; marker: string };
  startedAt: string;
  restarts: number;
  /** Bytes of its output file already read into the app's log. */
  offset: number;
}

export class DynoRecords extends OutliveRecords<DynoRecord> {
  constructor(dir: string) { super(dir, (r) => r.spec.id); }
}
