// The access model as one pure rule: what a principal may do is what its permissions on the
// resource allow AND what its token's scopes allow. Permissions come from being a Slipway admin,
// owning the app or pipeline, a team role, or a per-app collaborator grant (Heroku's vocabulary).

export const PERMISSIONS = ['view', 'deploy', 'operate', 'manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];
export const ROLES = ['admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const SCOPES = ['read', 'write', 'deploy', 'ci'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * view: read an app or pipeline; deploy: builds, releases, promotions, git push; operate: dynos,
 * formation, maintenance; manage: config vars, add-ons, domains, webhooks, collaborators, delete;
 * test:view / test:run: read and start test runs; account:*: the principal's own authorizations;
 * admin: users, teams, agents, spaces (Slipway admins only).
 */
export const ACTIONS = ['view', 'deploy', 'operate', 'manage', 'test:view', 'test:run', 'account:read', 'account:write', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  member: ['view', 'deploy', 'operate'],
  viewer: ['view'],
};

// What each scope lets a token do at most; the holder's permissions still apply.
const SCOPE_ACTIONS: Record<Scope, readonly Action[]> = {
  read: ['view', 'test:view', 'account:read'],
  write: ACTIONS,
  deploy: ['view', 'deploy', 'test:view', 'test:run', 'account:read'],
  ci: ['test:view', 'test:run'],
};

// The permission an action needs on its resource (account actions need none: they act on oneself).
const NEEDS: Partial<Record<Action, Permission>> = {
  view: 'view', deploy: 'deploy', operate: 'operate', manage: 'manage', 'test:view': 'view', 'test:run': 'deploy',
};

export interface Grant { admin: boolean; permissions: readonly Permission[]; scopes: readonly Scope[] }

/** The permissions a team role gives on the team's apps and pipelines. */
export const rolePermissions = (role: Role): readonly Permission[] => ROLE_PERMISSIONS[role];

/** Whether a principal with this grant on a resource may perform `action` on it. */
export function allowed(grant: Grant, action: Action): boolean {
  if (!grant.scopes.some((s) => SCOPE_ACTIONS[s].includes(action))) return false;
  if (action === 'admin') return grant.admin;
  const needed = NEEDS[action];
  return !needed || grant.admin || grant.permissions.includes(needed);
}

/** Whether the principal may know the resource exists at all (else it is answered 404, as on Heroku). */
export const visible = (grant: Pick<Grant, 'admin' | 'permissions'>): boolean => grant.admin || grant.permissions.includes('view');

/** Collaborator permissions as given: known names only, and `view` always (Heroku adds it too). */
export function normalizePermissions(given: readonly string[]): Permission[] | undefined {
  if (!given.every((p) => (PERMISSIONS as readonly string[]).includes(p))) return undefined;
  return PERMISSIONS.filter((p) => p === 'view' || given.includes(p));
}

/** Scopes as given (comma-separated or a list); undefined if any is unknown or none is given. */
export function parseScopes(given: string | readonly string[]): Scope[] | undefined {
  const list = (typeof given === 'string' ? given.split(',') : [...given]).map((s) => s.trim()).filter(Boolean);
  if (!list.length || !list.every((s) => (SCOPES as readonly string[]).includes(s))) return undefined;
  return SCOPES.filter((s) => list.includes(s));
}
