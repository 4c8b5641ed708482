import type { Kysely } from 'kysely';

// Only portable column types (text, integer) so one migration serves SQLite and Postgres.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('settings').ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('tokens').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .execute();

  await db.schema.createTable('pipelines').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('test_run_counter', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ci_timeout_seconds', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('stage_config_vars').ifNotExists()
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stage_config_vars_pk', ['pipeline_id', 'stage', 'key'])
    .execute();

  await db.schema.createTable('sources').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('size', 'integer')
    .addColumn('checksum', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('uploaded_at', 'text')
    .execute();

  await db.schema.createTable('test_runs').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('commit_branch', 'text')
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('commit_message', 'text')
    .addColumn('source_blob_url', 'text', (c) => c.notNull())
    .addColumn('source_id', 'text')
    .addColumn('message', 'text')
    .addColumn('error_id', 'text')
    .addColumn('clear_cache', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
    .addColumn('node_total', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('actor', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addUniqueConstraint('test_runs_pipeline_number', ['pipeline_id', 'number'])
    .execute();

  await db.schema.createTable('test_nodes').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('test_run_id', 'text', (c) => c.notNull().references('test_runs.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('message', 'text')
    .addColumn('error_id', 'text')
    .addColumn('waiting_reason', 'text')
    .addColumn('setup_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addUniqueConstraint('test_nodes_run_idx', ['test_run_id', 'idx'])
    .execute();

  await db.schema.createTable('test_cases').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('test_run_id', 'text', (c) => c.notNull().references('test_runs.id').onDelete('cascade'))
    .addColumn('test_node_id', 'text', (c) => c.notNull().references('test_nodes.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('diagnostic', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('test_cases_run').ifNotExists().on('test_cases').columns(['test_run_id', 'test_node_id', 'number']).execute();

  await db.schema.createTable('jobs').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.unique())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('run_after', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_claim').ifNotExists().on('jobs').columns(['status', 'run_after']).execute();
  await db.schema.createIndex('test_runs_pipeline').ifNotExists().on('test_runs').columns(['pipeline_id', 'number']).execute();
}
