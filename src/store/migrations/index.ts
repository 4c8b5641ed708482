// Numbered migrations, applied in order, each once (Kysely's migrator records them).
import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001-initial.js';

const MIGRATIONS: Record<string, Migration> = {
  '001-initial': m001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
