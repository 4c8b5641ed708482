import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openStore } from './db.js';

// A second process writing the same SQLite file (an operator's tool, a test's second agent) while a
// transaction of the server's reads and then writes: in WAL mode a deferred transaction's write then
// fails at once with SQLITE_BUSY (its snapshot is stale; the busy timeout does not apply). A write
// transaction takes the write lock when it begins, so the other process waits for it instead.
const require = createRequire(import.meta.url);
const WRITER = `
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const db = new Database(process.argv[2]);
db.pragma('busy_timeout = 10000');
process.send('writing');
db.prepare('INSERT INTO t (x) VALUES (2)').run();
process.send('wrote');
`;

test('SQLite: a transaction that reads, then writes, is not failed by another process writing in between', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-db-test-'));
  const store = await openStore({ dataDir: dir });
  try {
    await sql`CREATE TABLE t (x INTEGER)`.execute(store.db);
    const script = path.join(dir, 'writer.cjs');
    fs.writeFileSync(script, WRITER);
    let child: ReturnType<typeof fork> | undefined;
    let childExit: Promise<number | null> | undefined;
    await store.db.transaction().execute(async (trx) => {
      assert.equal((await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(trx)).rows[0]!.n, 0);
      child = fork(script, [path.join(dir, 'slipway.db')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      childExit = new Promise((r) => child!.on('exit', r));
      // Until the other process has written, or has waited a second for this transaction's lock.
      await new Promise<void>((resolve) => {
        child!.on('message', (m) => {
          if (m === 'wrote') resolve();
          if (m === 'writing') setTimeout(resolve, 1000);
        });
      });
      await sql`INSERT INTO t (x) VALUES (1)`.execute(trx);
    });
    assert.equal(await childExit, 0, 'the other process wrote too, after the transaction');
    assert.deepEqual((await sql<{ x: number }>`SELECT x FROM t ORDER BY x`.execute(store.db)).rows.map((r) => r.x), [1, 2]);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
