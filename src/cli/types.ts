// Shapes the CLI reads from the API (the subset it uses).
export interface PipelineJson {
  id: string; name: string; created_at: string; ci_timeout_seconds: number | null;
  deploy_branch: string; auto_deploy: boolean; wait_for_ci: boolean; auto_promote: boolean; acceptance_command: string | null; ci_enabled: boolean; ci_branches: string | null;
  repository: { name: string; provider: string; clone_url: string | null; webhook_secret_set: boolean; status_token_set: boolean; status_api_url: string | null } | null;
  review_apps: { enabled: boolean; autodeploy: boolean; autodestroy: boolean; stale_days: number };
}
export interface CouplingJson { id: string; stage: string; app: { id: string; name: string }; pipeline: { id: string; name: string } }
export interface LatestReleaseJson { id: string; version: number; status: string; description: string; app: { id: string; name: string }; stage: string; slug: { id: string; commit: string | null } | null; created_at: string }
export interface PromotionJson { id: string; status: string; source: { app: { id: string; name: string | null }; release: { id: string } }; slug: { id: string } }
export interface PromotionTargetJson { id: string; status: string; error_message: string | null; app: { id: string; name: string }; release: { id: string; version: number } | null }
export interface PipelineEventJson { id: string; kind: string; message: string; created_at: string }
export interface DiffCommitJson { sha: string; author: string; date: string; message: string }
export interface DiffJson {
  app: { name: string }; stage: string; next_stage: string | null;
  targets: Array<{ app: { name: string }; stage: string; source_commit: string | null; target_commit: string | null; state: string; reason?: string; commits?: DiffCommitJson[] }>;
}
export interface Counts { passed: number; failed: number; skipped: number; todo: number }
export interface TestRunJson {
  id: string; number: number; status: string; message: string | null; commit_branch: string | null; commit_sha: string;
  commit_message: string | null; created_at: string; finished_at: string | null; counts: Counts; node_total: number;
  pipeline: { id: string; name: string }; url: string; source_blob_url: string;
}
export interface TestNodeJson { id: string; index: number; status: string; exit_code: number | null; message: string | null; waiting_reason: string | null; setup_stream_url: string; output_stream_url: string }
export interface AddonJson { name: string; plan: { name: string }; provider: string; state: string; config_vars: string[] }
export interface TestCaseJson { number: number; description: string; status: string; diagnostic: string | null; flaky: boolean; test_node: { index: number } }
export interface ReviewAppJson { id: string; pr_number: number; branch: string; status: string; message: string | null; postdeploy_done: boolean; app: { id: string; name: string; web_url: string } | null }
