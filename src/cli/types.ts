// Shapes the CLI reads from the API (the subset it uses).
export interface PipelineJson { id: string; name: string; created_at: string; ci_timeout_seconds: number | null }
export interface Counts { passed: number; failed: number; skipped: number; todo: number }
export interface TestRunJson {
  id: string; number: number; status: string; message: string | null; commit_branch: string | null; commit_sha: string;
  commit_message: string | null; created_at: string; finished_at: string | null; counts: Counts; node_total: number;
  pipeline: { id: string; name: string }; url: string; source_blob_url: string;
}
export interface TestNodeJson { id: string; index: number; status: string; exit_code: number | null; message: string | null; waiting_reason: string | null; setup_stream_url: string; output_stream_url: string }
export interface AddonJson { name: string; plan: { name: string }; provider: string; state: string; config_vars: string[] }
export interface TestCaseJson { number: number; description: string; status: string; diagnostic: string | null; flaky: boolean; test_node: { index: number } }
