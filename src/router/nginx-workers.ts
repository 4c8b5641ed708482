// nginx's workers as its master's children: a reload is served once a new worker exists and every
// old one has stopped accepting (nginx-data-plane.ts).
import fs from 'node:fs';

/** The master's children as [pid, title] ("nginx: worker process is shutting down"). */
export function workersOf(master: number): [number, string][] {
  try {
    const pids = fs.readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return pids.map((p) => { try { return [p, fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()] as [number, string]; } catch { return [p, '']; } });
  } catch { return []; }
}
