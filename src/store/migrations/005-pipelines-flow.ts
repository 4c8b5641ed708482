import type { Kysely } from 'kysely';

// Pipeline stages (couplings), promotions, automation settings, push deploys, the pipeline's
// event log, webhook deliveries and review apps.
export async function up(db: Kysely<unknown>): Promise<void> {
  const pipelineColumns: Array<[string, 'text' | 'integer', (string | number | null)]> = [
    ['deploy_branch', 'text', 'main'], ['auto_deploy', 'integer', 0], ['wait_for_ci', 'integer', 0], ['auto_promote', 'integer', 0],
    ['acceptance_command', 'text', null], ['ci_enabled', 'integer', 1], ['ci_branches', 'text', null],
    ['repo', 'text', null], ['repo_clone_url', 'text', null], ['webhook_secret', 'text', null], ['status_token', 'text', null], ['status_api_url', 'text', null],
    ['review_apps', 'integer', 0], ['review_autodeploy', 'integer', 0], ['review_autodestroy', 'integer', 0],
  ];
  for (const [name, type, dflt] of pipelineColumns) {
    await db.schema.alterTable('pipelines').addColumn(name, type, (c) => (dflt === null ? c : c.notNull().defaultTo(dflt))).execute();
  }
  await db.schema.alterTable('test_runs').addColumn('kind', 'text', (c) => c.notNull().defaultTo('ci')).execute();
  await db.schema.alterTable('test_runs').addColumn('test_command', 'text').execute();
  await db.schema.alterTable('test_runs').addColumn('target_app_id', 'text').execute();
  await db.schema.alterTable('test_runs').addColumn('target_release_version', 'integer').execute();
  await db.schema.alterTable('test_runs').addColumn('end_notified', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema.createTable('pipeline_couplings').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('app_id', 'text', (c) => c.notNull().unique().references('apps.id').onDelete('cascade'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pipeline_couplings_pipeline').ifNotExists().on('pipeline_couplings').column('pipeline_id').execute();

  await db.schema.createTable('pipeline_promotions').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('source_app_id', 'text', (c) => c.notNull())
    .addColumn('source_release_id', 'text', (c) => c.notNull())
    .addColumn('slug_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actor', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('promotion_targets').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('promotion_id', 'text', (c) => c.notNull().references('pipeline_promotions.id').onDelete('cascade'))
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_message', 'text')
    .addColumn('release_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('promotion_targets_release').ifNotExists().on('promotion_targets').column('release_id').execute();

  await db.schema.createTable('deploys').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('pipeline_id', 'text')
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('branch', 'text')
    .addColumn('commit_sha', 'text', (c) => c.notNull())
    .addColumn('commit_message', 'text')
    .addColumn('source_blob_url', 'text', (c) => c.notNull())
    .addColumn('test_run_id', 'text')
    .addColumn('build_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deploys_test_run').ifNotExists().on('deploys').column('test_run_id').execute();

  await db.schema.createTable('pipeline_events').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pipeline_events_pipeline').ifNotExists().on('pipeline_events').columns(['pipeline_id', 'created_at']).execute();

  await db.schema.createTable('webhook_deliveries').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('review_apps').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('app_id', 'text')
    .addColumn('pr_number', 'integer', (c) => c.notNull())
    .addColumn('branch', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('postdeploy_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('review_apps_pr', ['pipeline_id', 'pr_number'])
    .execute();
}
