// What an agent process writes down about each command it started to outlive it (a dyno, an app's
// add-on server), so the next process of the agent (an upgrade, a restart after a crash or a hang)
// adopts the command instead of killing it: the launcher's pid with the kernel's start time (a
// reused pid is never taken for it) beside whatever the caller needs to take it over. The files are
// the agent's own (root's, 0600, in its data folder): the command holds only the fds of its output
// and status files, opened here and passed to it.
import fs from 'node:fs';
import path from 'node:path';
import { procStartTime } from './adopted.js';

/** What every record holds: the command's launcher (see adopted.ts). */
export interface OutlivingProcess { proc: { pid: number; startTime: string; marker: string } }

const ID = /^[\w-]{1,100}$/;

export class OutliveRecords<R extends OutlivingProcess> {
  constructor(readonly dir: string, private idOf: (r: R) => string) { fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); }

  private file(id: string, ext: string): string {
    if (!ID.test(id)) throw new Error(`invalid record id ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id}.${ext}`);
  }

  outputFile(id: string): string { return this.file(id, 'out'); }
  statusFile(id: string): string { return this.file(id, 'status'); }

  /**
   * The fds a new process of `id` gets: its output file (emptied: the last process's output was read
   * when it ended) and its status file. `append`: the output is written at its end whatever its size,
   * so the file may be emptied under the process (see trimOutput).
   */
  openFiles(id: string, opts: { append?: boolean } = {}): { output: number; status: number } {
    const output = this.outputFile(id);
    if (opts.append) fs.writeFileSync(output, '', { mode: 0o600 });
    return { output: fs.openSync(output, opts.append ? 'a' : 'w', 0o600), status: fs.openSync(this.statusFile(id), 'w', 0o600) };
  }

  /** Empty the output file of `id` when it passed `maxBytes` (a process that writes with `append` goes on at its start). */
  trimOutput(id: string, maxBytes: number): void {
    try { if (fs.statSync(this.outputFile(id)).size > maxBytes) fs.truncateSync(this.outputFile(id), 0); } catch { /* gone */ }
  }

  /** Written whole (a temporary file renamed over it): a process killed mid-write leaves the previous record. */
  save(r: R): void {
    const file = this.file(this.idOf(r), 'json');
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(r), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }

  remove(id: string): void {
    for (const ext of ['json', 'out', 'status']) fs.rmSync(this.file(id, ext), { force: true });
  }

  /**
   * The commands an earlier process left running (their launcher alive, the same process); the records
   * of the others are removed. `ended`: theirs are listed too (a one-off that ended while no agent
   * process ran: its exit code is in its status file, the rest of its output in its output file).
   */
  live(opts: { ended?: boolean } = {}): R[] {
    const found: R[] = [];
    for (const f of fs.readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const id = f.slice(0, -5);
      let r: R | undefined;
      try { r = JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')) as R; } catch { /* unreadable: not adopted */ }
      if (r && this.idOf(r) === id && (opts.ended || procStartTime(r.proc.pid) === r.proc.startTime)) found.push(r);
      else if (ID.test(id)) this.remove(id);
    }
    return found;
  }
}
