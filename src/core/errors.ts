// The one registry of errors a user can see: an id, an HTTP status, and a message that says what to do.
// Tests assert on ids; docs/errors.md lists the same table.

export const ERRORS = {
  unauthorized: { status: 401, message: 'Invalid credentials provided. Run `slipway login` or pass a valid token.' },
  too_many_sign_ins: { status: 429, message: 'Check the token (`slipway login`, SLIPWAY_TOKEN); every wrong one extends the wait.' },
  forbidden: { status: 403, message: 'You do not have access to this resource.' },
  confirmation_required: { status: 422, message: 'This action cannot be undone in one step: type the app\'s name to confirm it.' },
  csrf_failed: { status: 403, message: 'This form is stale or was sent from another site (CSRF check failed). Reload the page and try again.' },
  not_found: { status: 404, message: 'Couldn\'t find that resource.' },
  pipeline_not_found: { status: 404, message: 'Couldn\'t find that pipeline.' },
  test_run_not_found: { status: 404, message: 'Couldn\'t find that test run.' },
  test_node_not_found: { status: 404, message: 'Couldn\'t find that test node.' },
  app_not_found: { status: 404, message: 'Couldn\'t find that app.' },
  build_not_found: { status: 404, message: 'Couldn\'t find that build.' },
  release_not_found: { status: 404, message: 'Couldn\'t find that release.' },
  space_not_found: { status: 404, message: 'Couldn\'t find that space.' },
  space_not_empty: { status: 409, message: 'The space still has apps; move or destroy them first.' },
  cidr_in_use: { status: 409, message: 'That CIDR overlaps another space or a network of this host.' },
  spaces_unavailable: { status: 503, message: 'Private spaces need CAP_NET_ADMIN (run the server as root), iproute2 and nftables.' },
  tenant_uids_exhausted: { status: 503, message: 'Every uid of SLIPWAY_TENANT_UIDS is in use; the operator must widen the range.' },
  source_not_found: { status: 404, message: 'Couldn\'t find that source blob. Upload it first with PUT to the put_url of POST /sources.' },
  invalid_params: { status: 422, message: 'The request body is invalid.' },
  invalid_key: { status: 400, message: 'That name cannot be used: names are letters, digits and _ (process types also -), never __proto__, constructor, toString or another built-in name, and hold no NUL byte.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  conflict: { status: 409, message: 'The resource already exists or is in a conflicting state.' },
  name_taken: { status: 409, message: 'That name is already taken.' },
  invalid_state: { status: 422, message: 'The resource is not in a state that allows this.' },
  payload_too_large: { status: 413, message: 'The upload is too large.' },
  source_too_large: { status: 413, message: 'The source unpacks to more than Slipway accepts (size or number of files); remove large or generated files from the repository.' },
  webhook_signature_invalid: { status: 401, message: 'The webhook delivery is not signed with the pipeline\'s secret (X-Hub-Signature-256, X-Gitlab-Token, X-Gitea-Signature).' },
  clone_url_refused: { status: 422, message: 'The clone URL is not an https, http or ssh URL on the host this pipeline is connected to.' },
  repository_not_connected: { status: 404, message: 'No pipeline is connected to this repository. Run `slipway pipelines:connect PIPELINE --repo OWNER/REPO`.' },
  agent_not_found: { status: 404, message: 'Couldn\'t find that agent. `slipway agents` lists them.' },
  agent_protocol_unsupported: { status: 400, message: 'This server does not speak the agent\'s protocol version; upgrade the agent or the server so they share one.' },
  agent_lease_lost: { status: 409, message: 'This agent no longer holds the job (its lease ran out, or it was cancelled and taken over); stop running it.' },
  agent_event_out_of_order: { status: 409, message: 'An event batch arrived out of order; send the batches of a job in sequence, from the one after the last acknowledged.' },
  agent_dyno_loopback: { status: 422, message: 'An agent reported a dyno at an address of the server\'s own host (loopback, unspecified, or one of its interfaces\' addresses); the router runs on the server\'s host and would reach that host\'s own services there, so only the server\'s local agent may. Advertise an address of the agent\'s host the router reaches (--advertise ADDR).' },
  agent_dyno_address: { status: 422, message: 'An agent reported its dynos at a host name, or at an address other than the one it registered with; the router reaches an agent\'s dynos only at its registered (advertised) IP address.' },
  agent_space_slices_full: { status: 409, message: 'Every slice of the spaces\' ranges is held by an agent that runs private spaces; revoke one that is gone before you allow another.' },
  agent_not_spaces: { status: 403, message: 'This agent is not allowed to run private spaces; the operator allows it when creating it (`slipway agents:create NAME --spaces`).' },
  one_off_no_room: { status: 503, message: 'No agent can run this one-off dyno now (none online, or each is full); add an agent or free room, then run it again.' },
  router_not_found: { status: 404, message: 'Couldn\'t find that router. `slipway routers` lists them.' },
  router_feed_unavailable: { status: 503, message: 'This server runs its router in-process (SLIPWAY_COMPANIONS=in-process) and feeds no router process; unset SLIPWAY_COMPANIONS to run `slipway router`.' },
  not_supported: { status: 501, message: 'Slipway does not support this endpoint yet.' },
  internal_error: { status: 500, message: 'Something went wrong inside Slipway; the server log has details.' },
  signed_url_expired: { status: 401, message: 'This signed URL has expired; ask the API for the resource again to get a fresh one (SLIPWAY_SIGNED_URL_MINUTES sets how long they last).' },
  signed_url_invalid: { status: 401, message: 'This signed URL is not valid for this request: it was made for another resource or method (an upload URL does not download), or it was altered. Use the URL the API gave for this purpose, or a token.' },
  secret_key_from_environment: { status: 409, message: 'The secret key comes from SLIPWAY_SECRET_KEY: rotate it by setting a new SLIPWAY_SECRET_KEY, moving the old one to SLIPWAY_SECRET_KEY_PREVIOUS and restarting (see docs/security.md).' },
  insufficient_scope: { status: 403, message: 'This authorization\'s scopes do not allow that; create one with the scope it needs (`slipway authorizations:create --scope …`).' },
  permission_denied: { status: 403, message: 'Your access to this app or pipeline does not include that; ask its owner or a team admin (`heroku access:update`, `slipway access:add`).' },
  admin_only: { status: 403, message: 'Only a Slipway admin may do this (`slipway users:create EMAIL --admin`).' },
  user_not_found: { status: 404, message: 'Couldn\'t find that user. `slipway users` lists them.' },
  team_not_found: { status: 404, message: 'Couldn\'t find that team. `slipway teams` lists yours.' },
  // Errors that end a test run (stored as the run's message, not sent as HTTP errors).
  invalid_app_json: { status: 422, message: 'app.json is invalid.' },
  unknown_addon: { status: 422, message: 'app.json asks for an add-on Slipway does not provide.' },
  addon_failed: { status: 422, message: 'An add-on could not be provisioned.' },
  buildpack_failed: { status: 422, message: 'A buildpack failed.' },
  buildpack_not_found: { status: 422, message: 'A buildpack could not be found.' },
  buildpack_not_allowed: { status: 422, message: 'app.json names a folder on the server as a buildpack that the operator has not allowed (SLIPWAY_BUILDPACK_DIRS).' },
  unsafe_file: { status: 422, message: 'A file Slipway reads from the app (Procfile, app.json, .slugignore, a JUnit report, a cache) is a symbolic link out of the app, a FIFO or a device; Slipway reads only regular files inside the app.' },
  file_too_large: { status: 422, message: 'A file Slipway reads from the app (Procfile, app.json, .slugignore, bin/release output) is larger than Slipway reads.' },
  no_buildpack_detected: { status: 422, message: 'No buildpack applies to this app.' },
  test_setup_failed: { status: 422, message: 'The test-setup script failed.' },
  timed_out: { status: 422, message: 'The run exceeded its time limit.' },
  limit_exceeded: { status: 422, message: 'A command exceeded the memory or disk limit of its dyno size.' },
  runner_lost: { status: 500, message: 'The runner executing this node was lost.' },
  events_not_recorded: { status: 500, message: 'Slipway could not record an event of this job; it was ended instead of being reported as done.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorId = keyof typeof ERRORS;

/** An error with a registry id; the API turns it into `{id, message}` with the registry's status. */
export class SlipwayError extends Error {
  readonly id: ErrorId;
  readonly status: number;
  constructor(id: ErrorId, message?: string) {
    super(message ?? ERRORS[id].message);
    this.id = id;
    this.status = ERRORS[id].status;
  }
}

/** Shorthand: `throw fail('pipeline_not_found', 'No pipeline named x.')`. */
export function fail(id: ErrorId, message?: string): SlipwayError {
  return new SlipwayError(id, message);
}
