// Row types of every table. Times are ISO-8601 text and flags are 0/1 integers in both databases.
import type { Generated } from 'kysely';
import type { AddonServerState } from '../core/addon-server-status.js';

export interface TokensTable {
  id: string; name: string; hash: string; created_at: string; last_used_at: string | null;
  user_id?: string | null; scopes?: string; expires_at?: string | null; // comma-separated read,write,deploy,ci
}
export interface UsersTable { id: string; email: string; password_hash: string | null; admin: Generated<number>; created_at: string }
export interface TeamsTable { id: string; name: string; created_at: string }
export interface TeamMembersTable { team_id: string; user_id: string; role: string; created_at: string }
export interface AppCollaboratorsTable { app_id: string; user_id: string; permissions: string; created_at: string }

export interface PipelinesTable {
  id: string;
  name: string;
  test_run_counter: Generated<number>;
  ci_timeout_seconds: number | null;
  deploy_branch: Generated<string>;
  auto_deploy: Generated<number>;
  wait_for_ci: Generated<number>;
  auto_promote: Generated<number>;
  acceptance_command: string | null;
  ci_enabled: Generated<number>;
  ci_branches: string | null;
  repo: string | null;
  repo_clone_url: string | null;
  webhook_secret: string | null;
  status_token: string | null;
  status_api_url: string | null;
  repo_provider?: string | null; // github | gitlab | gitea; null is github
  owner_user_id?: string | null;
  team_id?: string | null;
  review_apps: Generated<number>;
  review_autodeploy: Generated<number>;
  review_autodestroy: Generated<number>;
  review_stale_days: Generated<number>;
  ci_space_id?: string | null;
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
  kind: string; // ci | acceptance
  test_command: string | null;
  target_app_id: string | null;
  target_release_version: number | null;
  end_notified: Generated<number>;
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
  duration_ms: number | null;
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
  /** Only this agent claims the job (null: any runner of its kind). */
  agent_id?: string | null;
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

export interface AppsTable { id: string; name: string; stack: string; release_counter: Generated<number>; created_at: string; updated_at: string; space_id?: string | null; internal_routing?: number; maintenance: Generated<number>; buildpacks?: string | null; owner_user_id?: string | null; team_id?: string | null; repo_size?: number | string | null }
export interface SpacesTable { id: string; name: string; cidr: string; region: string; shield: Generated<number>; state: string; trusted_ips: string; egress_rules: string; created_at: string; updated_at: string }
export interface AppConfigVarsTable { app_id: string; key: string; value: string }
export interface SlugsTable {
  id: string; app_id: string; process_types: string; commit: string | null; commit_description: string | null; buildpacks: string;
  size: number; checksum: string; stack: string; created_at: string;
}
export interface BuildsTable {
  id: string; app_id: string; status: string; source_blob_url: string; source_version: string | null; buildpacks: string | null;
  slug_id: string | null; release_id: string | null; message: string | null; user_name: string | null; created_at: string; updated_at: string;
}
export interface ReleasesTable {
  id: string; app_id: string; version: number; slug_id: string | null; config: string; description: string; status: string;
  current: number; message: string | null; user_name: string | null; created_at: string; updated_at: string;
}
export interface FormationTable { app_id: string; type: string; quantity: number; size: string; updated_at: string }

export interface PipelineCouplingsTable { id: string; pipeline_id: string; app_id: string; stage: string; created_at: string; updated_at: string }
export interface PipelinePromotionsTable {
  id: string; pipeline_id: string; source_app_id: string; source_release_id: string; slug_id: string; status: string; actor: string | null; created_at: string; updated_at: string;
}
export interface PromotionTargetsTable {
  id: string; promotion_id: string; app_id: string; status: string; error_message: string | null; release_id: string | null; created_at: string; updated_at: string;
}
export interface DeploysTable {
  id: string; app_id: string; pipeline_id: string | null; trigger: string; branch: string | null; commit_sha: string; commit_message: string | null;
  source_blob_url: string; test_run_id: string | null; build_id: string | null; status: string; message: string | null; created_at: string; updated_at: string;
}
/** `event_key`: set by a flow edge's follow-up (store/flow-edges' `edgeEventKey`), so a retried one writes no second row. */
export interface PipelineEventsTable { id: string; pipeline_id: string; kind: string; message: string; created_at: string; event_key: string | null }
export interface WebhookDeliveriesTable { id: string; pipeline_id: string; event: string; created_at: string }
export interface ReviewAppsTable {
  id: string; pipeline_id: string; app_id: string | null; pr_number: number; branch: string; status: string; postdeploy_done: Generated<number>;
  message: string | null; created_at: string; updated_at: string;
}

export interface AppAddonsTable {
  id: string; app_id: string; name: string; plan: string; service: string; provider: string; port: number | null; url: string; database: string | null; created_at: string;
  /** The agent whose host runs the add-on's server (null: not started since it was made, or before 032). */
  agent_id: string | null;
  /** Its server as its supervisor last reported it (core/addon-server-status.ts); null: nothing reported. */
  server_state?: AddonServerState | null;
  restarts?: number;
  last_exit?: string | null;
  server_changed_at?: string | null;
}

/** An agent (one per host); `token_hash` null for the embedded agent `local`. */
export interface AgentsTable {
  id: string; name: string; token_hash: string | null; created_at: string; revoked_at: string | null; last_seen_at: string | null;
  protocol_version: number | null; slots: number | null; memory_mb: number | null; address: string | null; hostname: string | null; labels: string | null;
  /** This agent's slice of every private space's range (it runs spaces), given by the server; null: it runs none. */
  space_slice?: number | null;
}
/** A router process's credential: it reads the routing table and sends router logs, nothing else. */
export interface RoutersTable { id: string; name: string; token_hash: string; created_at: string; revoked_at: string | null; last_seen_at: string | null }
export interface AgentEventBatchesTable { job_id: string; last_seq: number; updated_at: string }

export interface SettingsTable { key: string; value: string }
export interface SignInFailuresTable { key: string; failed_at: string }

/** One minute of an app's routed requests: counts by status class, and response times in bins h0..h14 (src/metrics/latency-bins.ts). */
export interface RouterMetricsTable {
  app_id: string; minute: number; s2: number; s3: number; s4: number; s5: number;
  h0: number; h1: number; h2: number; h3: number; h4: number; h5: number; h6: number; h7: number; h8: number; h9: number; h10: number; h11: number; h12: number; h13: number; h14: number;
}
/** One minute of one dyno: its memory samples (max, sum and count) and the CPU time it used. */
export interface DynoMetricsTable { app_id: string; minute: number; dyno: string; memory_max_mb: number; memory_sum_mb: number; samples: number; cpu_ms: number }
/** One minute's count of an event: an H/R error code or a dyno restart (`restart`). */
export interface AppMetricEventsTable { app_id: string; minute: number; code: string; count: number }

/** `owner`: `app:<id>`, `run:<id>`, `addons:app:<id>`, `addons:run:<id>`. */
export interface TenantIdsTable { uid: number; owner: string; created_at: string }

/** One dyno the control plane wants running; a new id (and generation) replaces it on a swap. agent_id null: no agent has room. */
export interface DesiredDynosTable { id: string; app_id: string; release_id: string; process_type: string; name: string; size: string; command: string; agent_id: string | null; generation: number; created_at: string; updated_at: string }
export type ObservedState = 'starting' | 'up' | 'crashed' | 'stopping' | 'stopped';
/** A one-off dyno run by an agent (its job, kind `one-off`, carries the lease): what `ps` and `run` read. */
/** The last run.N given to each app's one-offs (taken atomically: two at once never share a name). */
export interface OneOffCountersTable { app_id: string; last: number }
export interface OneOffDynosTable { id: string; app_id: string; name: string; command: string; size: string; agent_id: string; attach: number; state: 'starting' | 'up' | 'down'; exit_code: number | null; created_at: string; updated_at: string }
/** One dyno as its agent last reported it. */
export interface ObservedDynosTable { dyno_id: string; agent_id: string; app_id: string; release_id: string; process_type: string; name: string; state: ObservedState; host: string; port: number; restarts: number; changed_at: string; reported_at: string; space_address?: string | null }
/** The release whose crashes within its window roll the app back. */
export interface AutoRollbackWindowsTable { app_id: string; release_id: string; live_at: string }
export interface AppWebhooksTable { id: string; app_id: string; url: string; include: string; level: string; secret: string; authorization: string | null; created_at: string; updated_at: string }
export interface AppWebhookDeliveriesTable {
  id: string; webhook_id: string; app_id: string; event_id: string; include: string; body: string; status: string;
  /** Set when a flow edge's follow-up published the event: one delivery per (webhook, key), however often it runs. */
  event_key: string | null;
  num_attempts: Generated<number>; last_code: number | null; last_error: string | null; next_attempt_at: string | null; created_at: string; updated_at: string;
}
export interface SniEndpointsTable { id: string; app_id: string; name: string; certificate_chain: string; private_key: string; created_at: string; updated_at: string }
export interface DomainsTable { id: string; app_id: string; hostname: string; sni_endpoint_id: string | null; created_at: string; updated_at: string }
export interface BlobsTable { key: string; size: number; checksum: string; chunks: number; created_at: string }
export interface BlobChunksTable { key: string; seq: number; data: Buffer }
/** A stream shared by the replicas (src/logs/shared-log.ts): `next_seq` is the last sequence number given out. */
export interface LogStreamsTable { key: string; next_seq: number | string; closed: number; updated_at: string }
export type LogChunkKind = 'open' | 'ensure' | 'data' | 'close';
export interface LogChunksTable { key: string; seq: number | string; kind: LogChunkKind; origin: string; data: Buffer }
export interface LeasesTable { name: string; holder: string; expires_at: string }
export interface LogDrainsTable { id: string; app_id: string; url: string; token: string; created_at: string; updated_at: string }
/** One change: who (actor: a user's email or a token's name; actor_id: the token used), what (action on target, details without secret values), when (at), from where (ip). */
export interface AuditEventsTable { id: string; at: string; actor: string; actor_id: string | null; action: string; app_id: string | null; app_name: string | null; target: string; details: string | null; ip: string | null }

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
  pipeline_couplings: PipelineCouplingsTable;
  pipeline_promotions: PipelinePromotionsTable;
  promotion_targets: PromotionTargetsTable;
  deploys: DeploysTable;
  pipeline_events: PipelineEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  review_apps: ReviewAppsTable;
  app_addons: AppAddonsTable;
  spaces: SpacesTable;
  tenant_ids: TenantIdsTable;
  sign_in_failures: SignInFailuresTable;
  agents: AgentsTable;
  routers: RoutersTable;
  desired_dynos: DesiredDynosTable;
  observed_dynos: ObservedDynosTable;
  auto_rollback_windows: AutoRollbackWindowsTable;
  app_webhooks: AppWebhooksTable;
  app_webhook_deliveries: AppWebhookDeliveriesTable;
  sni_endpoints: SniEndpointsTable;
  domains: DomainsTable;
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
  leases: LeasesTable;
  log_streams: LogStreamsTable;
  log_chunks: LogChunksTable;
  log_drains: LogDrainsTable;
  agent_event_batches: AgentEventBatchesTable;
  router_metrics: RouterMetricsTable;
  dyno_metrics: DynoMetricsTable;
  app_metric_events: AppMetricEventsTable;
  audit_events: AuditEventsTable;
  users: UsersTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  app_collaborators: AppCollaboratorsTable;
  one_off_dynos: OneOffDynosTable;
  one_off_counters: OneOffCountersTable;
}
