// Open the state store: SQLite in the data dir by default, Postgres when DATABASE_URL says so.
import fs from 'node:fs';
import path from 'node:path';
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import type { Database } from './schema.js';
import { migrationProvider } from './migrations/index.js';
import { sealingPlugin } from './sealed-columns.js';
import type { Keyring } from '../core/secret-box.js';

export type Dialect = 'sqlite' | 'postgres';
export interface Store { db: Kysely<Database>; dialect: Dialect; close(): Promise<void> }

export const isPostgresUrl = (url: string | undefined): boolean => !!url && /^postgres(ql)?:\/\//.test(url);

/**
 * SQLite transactions that take the write lock when they begin (`BEGIN IMMEDIATE`), not at their
 * first write: in WAL mode a deferred transaction that has read and then writes fails at once with
 * SQLITE_BUSY if another process wrote the file in between (the busy timeout does not apply to it);
 * with the lock taken first, the other process waits (busy_timeout) instead. In one server process
 * Kysely already runs one statement at a time on its one connection.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly config: SqliteDialectConfig) { super(config); }
  override createDriver(): Driver { return new ImmediateSqliteDriver(this.config); }
}

/** Open (and migrate) the store. */
export async function openStore(opts: { databaseUrl?: string; dataDir: string; keyring?: () => Keyring }): Promise<Store> {
  const plugins = opts.keyring ? [sealingPlugin(opts.keyring)] : [];
  let db: Kysely<Database>;
  let dialect: Dialect;
  if (isPostgresUrl(opts.databaseUrl)) {
    dialect = 'postgres';
    // Loaded only here: a server on SQLite (the default) does not hold the Postgres driver (about 3 MB of heap).
    const { default: pg } = await import('pg');
    db = new Kysely<Database>({ plugins, dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: opts.databaseUrl!, max: 10 }) }) });
  } else {
    dialect = 'sqlite';
    const file = opts.databaseUrl?.replace(/^sqlite:(\/\/)?/, '') || path.join(opts.dataDir, 'slipway.db');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const sqlite = new SqliteDatabase(file);
    fs.chmodSync(file, 0o600);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    // Deleted and overwritten content is zeroed, so a copy of the file holds no sealed value a key rotation replaced (nor purged job payloads).
    sqlite.pragma('secure_delete = ON');
    db = new Kysely<Database>({ plugins, dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  }
  const { error } = await new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true }).migrateToLatest();
  if (error) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(String(error));
  }
  return { db, dialect, close: () => db.destroy() };
}

export const now = (): string => new Date().toISOString();
