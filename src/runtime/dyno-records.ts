// What an agent process writes down about each dyno it runs, so the next process of the agent (an
// upgrade, a restart after a crash or a hang) adopts the dyno instead of killing it: the spec it
// was started from, where it listens, its namespace and workspace, its launcher's pid with the
// kernel's start time (a reused pid is never taken for it), and how far its output was read. The
// files are the agent's own (root's, 0600, in its data folder): the dyno holds only the fds of its
// output and status files, opened here and passed to it.
import fs from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../ci/workspace.js';
import { procStartTime } from '../sandbox/adopted.js';
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

const ID = /^[\w-]{1,100}$/;

export class DynoRecords {
  constructor(readonly dir: string) { fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); }

  private file(id: string, ext: string): string {
    if (!ID.test(id)) throw new Error(`invalid dyno id ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id}.${ext}`);
  }

  outputFile(id: string): string { return this.file(id, 'out'); }
  statusFile(id: string): string { return this.file(id, 'status'); }

  /** The fds a new process of dyno `id` gets: its output file (emptied: the last process's output was read when it ended) and its status file. */
  openFiles(id: string): { output: number; status: number } {
    return { output: fs.openSync(this.outputFile(id), 'w', 0o600), status: fs.openSync(this.statusFile(id), 'w', 0o600) };
  }

  /** Written whole (a temporary file renamed over it): a process killed mid-write leaves the previous record. */
  save(r: DynoRecord): void {
    const file = this.file(r.spec.id, 'json');
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(r), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }

  remove(id: string): void {
    for (const ext of ['json', 'out', 'status']) fs.rmSync(this.file(id, ext), { force: true });
  }

  /** The dynos an earlier process of this agent left running (their launcher alive, the same process); the records of the others are removed. */
  live(): DynoRecord[] {
    const found: DynoRecord[] = [];
    for (const f of fs.readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const id = f.slice(0, -5);
      let r: DynoRecord | undefined;
      try { r = JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')) as DynoRecord; } catch { /* unreadable: not adopted */ }
      if (r && r.spec.id === id && procStartTime(r.proc.pid) === r.proc.startTime) found.push(r);
      else if (ID.test(id)) this.remove(id);
    }
    return found;
  }
}
