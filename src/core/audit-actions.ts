// What a write request means for the audit log: an action name in the CLI's vocabulary and details
// that never hold a secret value (config changes name their keys, not their values). Requests that
// change nothing (reads sent as POST) and dashboard forms that act through an API route (recorded
// there, once) are not changes of their own.

export interface AuditedChange { action: string; details?: Record<string, unknown> }

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// Routes (as Fastify names them) that are writes in form only, or protocol traffic recorded elsewhere.
const NOT_CHANGES = new Set([
  'POST /filters/apps', 'POST /actions/addons/resolve', 'POST /actions/addon-attachments/resolve', 'POST /apps/:app/log-sessions',
  'POST /sources', 'POST /git-hooks/push', 'POST /:repo/git-upload-pack', 'POST /git/:repo/git-upload-pack',
  // Dashboard forms that call the API in-process: the API call is the recorded change.
  'POST /apps/:app/settings/config', 'POST /apps/:app/settings/config/unset', 'POST /apps/:app/settings/scale', 'POST /apps/:app/settings/restart', 'POST /pipelines/:id/settings',
]);

const NAMED: Record<string, string> = {
  'PATCH /apps/:app/config-vars': 'config:set',
  'PATCH /pipelines/:id/stage/:stage/config-vars': 'pipelines:config:set',
  'POST /apps/:app/builds': 'builds:create',
  'POST /apps/:app/releases': 'releases:rollback',
  'POST /apps/:app/releases/:id/rollback': 'releases:rollback',
  'POST /pipeline-promotions': 'pipelines:promote',
  'POST /pipelines/:id/promote': 'pipelines:promote',
  'PATCH /apps/:app/formation': 'ps:scale',
  'PATCH /apps/:app/formation/:type': 'ps:scale',
  'DELETE /apps/:app/dynos': 'ps:restart',
  'POST /:repo/git-receive-pack': 'git:push',
  'POST /git/:repo/git-receive-pack': 'git:push',
  'POST /apps/:app/config-vars/:key/reveal': 'config:reveal',
  'POST /login': 'sign-in',
  'POST /logout': 'sign-out',
  'POST /secrets/rotate-key': 'secrets:rotate-key',
};

/** The change a request made, or undefined when it is not one to record (a read, a failure, a non-change). */
export function auditedChange(method: string, route: string | undefined, status: number, body: unknown): AuditedChange | undefined {
  if (!WRITE.has(method) || !route || status >= 400 || route.startsWith('/agent/v1/')) return undefined;
  const key = `${method} ${route}`;
  if (NOT_CHANGES.has(key)) return undefined;
  const action = NAMED[key] ?? (route.startsWith('/hooks/') ? 'webhook:delivery' : key);
  return { action, ...(detailsOf(action, body) ? { details: detailsOf(action, body) } : {}) };
}

const obj = (b: unknown): Record<string, unknown> => (b && typeof b === 'object' && !Array.isArray(b) ? b as Record<string, unknown> : {});

function detailsOf(action: string, body: unknown): Record<string, unknown> | undefined {
  const b = obj(body);
  if (action === 'config:set' || action === 'pipelines:config:set') {
    // Keys only: the values are secrets.
    const set = Object.keys(b).filter((k) => b[k] !== null);
    const unset = Object.keys(b).filter((k) => b[k] === null);
    return { ...(set.length ? { set } : {}), ...(unset.length ? { unset } : {}) };
  }
  if (action === 'ps:scale') {
    const updates = Array.isArray(b['updates']) ? b['updates'] as unknown[] : [b];
    return { updates: updates.map((u) => { const x = obj(u); return { ...(x['type'] !== undefined ? { type: x['type'] } : {}), ...(x['quantity'] !== undefined ? { quantity: x['quantity'] } : {}), ...(x['size'] !== undefined ? { size: x['size'] } : {}) }; }) };
  }
  if (action === 'releases:rollback' && typeof b['release'] === 'string') return { release: b['release'] };
  if (action === 'pipelines:promote' && b['source']) return { source: obj(obj(b['source'])['app'])['id'] ?? b['app'], targets: Array.isArray(b['targets']) ? (b['targets'] as unknown[]).map((t) => obj(obj(t)['app'])['id']) : undefined };
  return undefined;
}
