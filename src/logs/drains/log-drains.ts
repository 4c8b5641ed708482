// The drains of every app at work in this server: started from the store at start-up and after
// each change, so the rows are the state and the workers only follow them.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { listLogDrains } from '../../store/log-drains.js';
import type { LogBook } from '../log-book.js';
import { DrainWorker } from './drain-worker.js';

export class LogDrains {
  private workers = new Map<string, DrainWorker>();
  constructor(private readonly o: { db: Kysely<Database>; logs: Pick<LogBook, 'follow' | 'size' | 'ensureOpen'>; logKey: (appId: string) => string; leading: () => boolean }) {}

  /** On the leader (the one server on SQLite): start a worker for each drain in the store that has none; stop those whose drain is gone. */
  async sync(): Promise<void> {
    if (!this.o.leading()) { this.stopAll(); return; }
    const drains = await listLogDrains(this.o.db);
    const wanted = new Set(drains.map((d) => d.id));
    for (const [id, w] of this.workers) if (!wanted.has(id)) { w.stop(); this.workers.delete(id); }
    for (const d of drains) {
      if (this.workers.has(d.id)) continue;
      const w = new DrainWorker(d, this.o.logs, this.o.logKey(d.app_id));
      this.workers.set(d.id, w);
      w.start();
    }
  }

  stopAll(): void {
    for (const w of this.workers.values()) w.stop();
    this.workers.clear();
  }
}
