// Sealing every secret value under the current key: rows from before sealing (plaintext) and rows
// sealed with a retired key. Run at start and by key rotation; safe to run twice or on two replicas.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { SEALED_COLUMNS } from '../store/sealed-columns.js';
import { SEALED_PREFIX } from '../core/secret-box.js';

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/** Re-seal what is not sealed with key `currentId`; returns how many values were re-sealed. */
export async function resealAll(db: Kysely<Database>, currentId: string): Promise<number> {
  const any = db as unknown as AnyDb;
  let n = 0;
  for (const [table, { key, columns }] of Object.entries(SEALED_COLUMNS)) {
    for (const column of columns) {
      for (;;) {
        // The plugin opens what is read (any key the ring holds) and seals what is written (the current key).
        const rows = await any.selectFrom(table).select([...key, column])
          .where(column, 'is not', null).where(sql.ref(column), 'not like', `${SEALED_PREFIX}${currentId}:%`).limit(500).execute();
        for (const row of rows) {
          let q = any.updateTable(table).set({ [column]: row[column] });
          for (const k of key) q = q.where(k, '=', row[k]);
          await q.execute();
        }
        n += rows.length;
        if (rows.length < 500) break;
      }
    }
  }
  return n;
}
