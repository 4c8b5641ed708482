// Work that must not overlap per key (one release phase per app, one delivery per pipeline's
// mirror, one status per commit at a time) while different keys go on in parallel.
export class KeyedSerial {
  private chains = new Map<string, Promise<unknown>>();

  /** Run `fn` after everything queued before it under `key`; its result or error is the caller's. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.chains.get(key) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(fn);
    this.chains.set(key, mine);
    try { return await mine; } finally { if (this.chains.get(key) === mine) this.chains.delete(key); }
  }
}
