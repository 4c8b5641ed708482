// Row types of every table. Times are ISO-8601 text and flags are 0/1 integers in both databases.
import type { Generated } from 'kysely';

export interface TokensTable { id: string; name: string; hash: string; created_at: string; last_used_at: string | null }

export interface PipelinesTable {
  id: string;
  name: string;
  test_run_counter: Generated<number>;
  ci_timeout_seconds: number | null;
  created_at: string;
  updated_at: string;
}

export interface StageConfigVarsTable { pipeline_id: string; stage: string; key: string; value: string }

export interface SourcesTable { id: string; size: number | null; checksum: string | null; created_at: string; uploaded_at: string | null }

export interface TestRunsTable {
  id: string;
  pipeline_id: string;
  number: number;
  status: string;
  commit_branch: string | null;
  commit_sha: string;
  commit_message: string | null;
  source_blob_url: string;
  source_id: string | null;
  message: string | null;
  error_id: string | null;
  clear_cache: number;
  timeout_seconds: number;
  node_total: number;
  actor: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface TestNodesTable {
  id: string;
  test_run_id: string;
  idx: number;
  status: string;
  exit_code: number | null;
  message: string | null;
  error_id: string | null;
  waiting_reason: string | null;
  setup_done: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface TestCasesTable {
  id: string;
  test_run_id: string;
  test_node_id: string;
  number: number;
  description: string;
  status: string; // passed | failed | skipped | todo
  diagnostic: string | null;
  flaky: Generated<number>;
  created_at: string;
}

export interface JobsTable {
  id: string;
  kind: string;
  key: string | null;
  payload: string;
  status: string; // queued | running | succeeded | failed | cancelled
  attempts: Generated<number>;
  max_attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  cancel_requested: Generated<number>;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface TestRunAddonsTable {
  id: string;
  test_run_id: string;
  name: string;
  plan: string;
  service: string;
  provider: string;
  url: string;
  database: string | null;
  status: string; // provisioned | deprovisioned
  created_at: string;
  deprovisioned_at: string | null;
}

export interface AppsTable { id: string; name: string; stack: string; release_counter: Generated<number>; created_at: string; updated_at: string }
export interface AppConfigVarsTable { app_id: string; key: string; value: string }
export interface SlugsTable {
  id: string; app_id: string; process_types: string; commit: string | null; commit_description: string | null; buildpacks: string;
  size: number; checksum: string; stack: string; created_at: string;
}
export interface BuildsTable {
  id: string; app_id: string; status: string; source_blob_url: string; source_version: string | null; buildpacks: string | null;
  slug_id: string | null; release_id: string | null; message: string | null; created_at: string; updated_at: string;
}
export interface ReleasesTable {
  id: string; app_id: string; version: number; slug_id: string | null; config: string; description: string; status: string;
  current: number; message: string | null; created_at: string; updated_at: string;
}
export interface FormationTable { app_id: string; type: string; quantity: number; size: string; updated_at: string }

export interface SettingsTable { key: string; value: string }

export interface Database {
  settings: SettingsTable;
  tokens: TokensTable;
  pipelines: PipelinesTable;
  stage_config_vars: StageConfigVarsTable;
  sources: SourcesTable;
  test_runs: TestRunsTable;
  test_nodes: TestNodesTable;
  test_cases: TestCasesTable;
  jobs: JobsTable;
  test_run_addons: TestRunAddonsTable;
  apps: AppsTable;
  app_config_vars: AppConfigVarsTable;
  slugs: SlugsTable;
  builds: BuildsTable;
  releases: ReleasesTable;
  formation: FormationTable;
}
