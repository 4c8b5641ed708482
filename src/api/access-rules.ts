// Every API route and dashboard page, with what it acts on and the action it needs (see
// core/access-policy.ts). A route missing here is open to Slipway admins only: a new route is
// closed until someone decides who may use it.
import type { Action } from '../core/access-policy.js';

export type Rule =
  | { on: 'app' | 'repo' | 'pipeline' | 'test-run' | 'coupling' | 'promotion' | 'addon' | 'team'; param: string; action: Action }
  | { on: 'self'; action: Action } // acts on the principal's own things (or creates something they will own): scopes only
  | { on: 'test-run-body' | 'coupling-body' | 'promotion-body' | 'pipeline-apps' | 'new'; param?: string; action: Action }
  | { on: 'anyone' }; // any signed-in principal (sign-out)

const app = (action: Action): Rule => ({ on: 'app', param: 'app', action });
const pipe = (action: Action): Rule => ({ on: 'pipeline', param: 'id', action });
const run = (action: Action): Rule => ({ on: 'test-run', param: 'id', action });
const self = (action: Action): Rule => ({ on: 'self', action });
const ADMIN = self('admin');
// Creating an app or pipeline: its creator owns it; in a team (`team` in the body) as a team admin or member.
const NEW: Rule = { on: 'new', action: 'deploy' };

const table: Record<string, Rule> = {
  // Apps.
  'GET /apps': self('view'), 'POST /apps': NEW, 'POST /teams/apps': NEW, 'POST /filters/apps': self('view'), 'GET /users/:user/apps': self('view'),
  'GET /apps/:app': app('view'), 'PATCH /apps/:app': app('manage'), 'DELETE /apps/:app': app('manage'),
  'GET /apps/:app/state': app('view'), 'GET /apps/:app/builds': app('view'), 'GET /apps/:app/builds/:id': app('view'),
  'GET /apps/:app/builds/:id/output': app('view'), 'POST /apps/:app/builds': app('deploy'), 'DELETE /apps/:app/build-cache': app('deploy'),
  'GET /apps/:app/builds/:id/log': app('view'), 'GET /apps/:app/builds/:id/log/live': app('view'),
  'GET /apps/:app/releases/:id/log': app('view'), 'GET /apps/:app/releases/:id/log/live': app('view'),
  'GET /apps/:app/releases': app('view'), 'GET /apps/:app/releases/:id': app('view'), 'GET /apps/:app/releases/:id/output': app('view'),
  'POST /apps/:app/releases': app('deploy'), 'POST /apps/:app/releases/:id/rollback': app('deploy'), 'GET /apps/:app/slugs/:id': app('view'),
  // Config var values are secrets: a viewer sees that they exist (releases), not what they hold.
  'GET /apps/:app/config-vars': app('deploy'), 'GET /apps/:app/releases/:id/config-vars': app('deploy'), 'POST /apps/:app/config-vars/:key/reveal': app('deploy'),
  'PATCH /apps/:app/config-vars': app('manage'),
  'GET /apps/:app/formation': app('view'), 'GET /apps/:app/formation/:type': app('view'), 'PATCH /apps/:app/formation': app('operate'),
  'PATCH /apps/:app/formation/:type': app('operate'), 'DELETE /apps/:app/formations/:type': app('operate'),
  'GET /apps/:app/dynos': app('view'), 'GET /apps/:app/dynos/:id': app('view'), 'POST /apps/:app/dynos': app('deploy'),
  'GET /apps/:app/dynos/:id/attach': app('deploy'), 'POST /apps/:app/dynos/:id/input': app('deploy'), 'DELETE /apps/:app/dynos': app('operate'), 'DELETE /apps/:app/dynos/:dyno': app('operate'),
  'POST /apps/:app/dynos/:dyno/actions/stop': app('operate'),
  'GET /apps/:app/log-stream': app('view'), 'GET /apps/:app/log/live': app('view'), 'POST /apps/:app/log-sessions': app('view'),
  'GET /apps/:app/log-drains': app('view'), 'POST /apps/:app/log-drains': app('manage'), 'DELETE /apps/:app/log-drains/:drain': app('manage'),
  'GET /apps/:app/addons': app('view'), 'POST /apps/:app/addons': app('manage'), 'DELETE /apps/:app/addons/:addon': app('manage'),
  'GET /apps/:app/addon-attachments': app('view'), 'GET /addon-attachments': self('view'), 'POST /actions/addons/resolve': self('view'),
  'POST /actions/addon-attachments/resolve': self('view'), 'GET /addons/:addon/addon-attachments': self('view'), 'GET /addon-services/:service/plans': self('view'),
  'GET /client/v11/databases/:id': { on: 'addon', param: 'id', action: 'deploy' }, 'GET /redis/v0/databases/:id': { on: 'addon', param: 'id', action: 'deploy' },
  'GET /postgres/v0/databases/:name/credentials/:cred': { on: 'addon', param: 'name', action: 'deploy' },
  'GET /apps/:app/buildpack-installations': app('view'), 'PUT /apps/:app/buildpack-installations': app('manage'),
  'GET /apps/:app/domains': app('view'), 'GET /apps/:app/domains/:ref': app('view'), 'POST /apps/:app/domains': app('manage'),
  'PATCH /apps/:app/domains/:ref': app('manage'), 'DELETE /apps/:app/domains/:ref': app('manage'),
  'GET /apps/:app/sni-endpoints': app('view'), 'GET /apps/:app/sni-endpoints/:ref': app('view'), 'POST /apps/:app/sni-endpoints': app('manage'),
  'PATCH /apps/:app/sni-endpoints/:ref': app('manage'), 'DELETE /apps/:app/sni-endpoints/:ref': app('manage'),
  'GET /apps/:app/webhooks': app('view'), 'GET /apps/:app/webhooks/:id': app('view'), 'POST /apps/:app/webhooks': app('manage'),
  'PATCH /apps/:app/webhooks/:id': app('manage'), 'DELETE /apps/:app/webhooks/:id': app('manage'),
  'GET /apps/:app/webhook-deliveries': app('view'), 'GET /apps/:app/webhook-deliveries/:id': app('view'),
  'GET /apps/:app/webhook-events': app('view'), 'GET /apps/:app/webhook-events/:id': app('view'),
  'GET /apps/:app/pipeline-couplings': app('view'),
  'GET /apps/:app/collaborators': app('view'), 'POST /apps/:app/collaborators': app('manage'), 'DELETE /apps/:app/collaborators/:user': app('manage'),
  'GET /teams/apps/:app/collaborators': app('view'), 'POST /teams/apps/:app/collaborators': app('manage'),
  'PATCH /teams/apps/:app/collaborators/:user': app('manage'), 'DELETE /teams/apps/:app/collaborators/:user': app('manage'),
  // Git: fetching is reading, pushing is deploying (the service is in the query of info/refs; see the guard).
  'GET /:repo/info/refs': { on: 'repo', param: 'repo', action: 'view' }, 'GET /git/:repo/info/refs': { on: 'repo', param: 'repo', action: 'view' },
  'POST /:repo/git-upload-pack': { on: 'repo', param: 'repo', action: 'view' }, 'POST /git/:repo/git-upload-pack': { on: 'repo', param: 'repo', action: 'view' },
  'POST /:repo/git-receive-pack': { on: 'repo', param: 'repo', action: 'deploy' }, 'POST /git/:repo/git-receive-pack': { on: 'repo', param: 'repo', action: 'deploy' },
  // Pipelines and their flow.
  'GET /pipelines': self('view'), 'POST /pipelines': NEW,
  'GET /pipelines/:id': pipe('view'), 'PATCH /pipelines/:id': pipe('manage'), 'DELETE /pipelines/:id': pipe('manage'),
  'GET /pipelines/:id/diff': pipe('view'), 'GET /pipelines/:id/events': pipe('view'), 'GET /pipelines/:id/latest-releases': pipe('view'),
  'GET /pipelines/:id/pipeline-couplings': pipe('view'), 'GET /pipelines/:id/review-apps': pipe('view'), 'GET /pipelines/:id/state': pipe('view'),
  'GET /pipelines/:id/stage/:stage/config-vars': pipe('manage'), 'PATCH /pipelines/:id/stage/:stage/config-vars': pipe('manage'),
  'GET /pipeline-couplings/:id': { on: 'coupling', param: 'id', action: 'view' }, 'PATCH /pipeline-couplings/:id': { on: 'coupling', param: 'id', action: 'manage' },
  'DELETE /pipeline-couplings/:id': { on: 'coupling', param: 'id', action: 'manage' }, 'POST /pipeline-couplings': { on: 'coupling-body', action: 'manage' },
  'POST /pipeline-promotions': { on: 'promotion-body', action: 'deploy' },
  'GET /pipeline-promotions/:id': { on: 'promotion', param: 'id', action: 'view' }, 'GET /pipeline-promotions/:id/promotion-targets': { on: 'promotion', param: 'id', action: 'view' },
  // Test runs.
  'POST /test-runs': { on: 'test-run-body', action: 'test:run' }, 'GET /test-runs/:id': run('test:view'), 'PATCH /test-runs/:id': run('test:run'),
  'GET /test-runs/:id/addons': run('test:view'), 'GET /test-runs/:id/test-cases': run('test:view'), 'GET /test-runs/:id/test-nodes': run('test:view'),
  'GET /test-runs/:id/test-nodes/:idx/output': run('test:view'), 'GET /test-runs/:id/test-nodes/:idx/setup-output': run('test:view'),
  'GET /pipelines/:id/test-runs': pipe('test:view'), 'GET /pipelines/:id/test-runs/:number': pipe('test:view'), 'GET /pipelines/:id/test-history': pipe('test:view'),
  'POST /sources': self('test:run'), 'GET /sources/:id/blob': self('test:run'), 'PUT /sources/:id/blob': self('test:run'),
  // Dashboard pages and forms (the pages' API twins are above).
  'GET /': self('view'), 'POST /logout': { on: 'anyone' },
  'POST /apps/:app/settings/config': app('manage'), 'POST /apps/:app/settings/config/unset': app('manage'),
  'POST /apps/:app/settings/restart': app('operate'), 'POST /apps/:app/settings/scale': app('operate'),
  // Turning maintenance on or off is PATCH /apps/:app (manage); the page's metrics are reading.
  'POST /apps/:app/settings/maintenance': app('manage'), 'GET /apps/:app/metrics': app('view'),
  'POST /pipelines/:id/promote': { on: 'pipeline-apps', param: 'id', action: 'deploy' }, 'POST /pipelines/:id/settings': pipe('manage'),
  'POST /pipelines/:id/repository': pipe('manage'), 'POST /pipelines/:id/repository/disconnect': pipe('manage'), 'GET /pipelines/:id/trends': pipe('test:view'),
  'GET /pipelines/:id/tests': pipe('test:view'), 'GET /pipelines/:id/tests/state': pipe('test:view'), 'GET /pipelines/:id/tests/:number': pipe('test:view'),
  'GET /pipelines/:id/tests/:number/state': pipe('test:view'), 'POST /pipelines/:id/tests/:number/cancel': pipe('test:run'), 'POST /pipelines/:id/tests/:number/rerun': pipe('test:run'),
  'GET /pipelines/:id/tests/:number/nodes/:idx/:stream/earlier': pipe('test:view'), 'GET /pipelines/:id/tests/:number/nodes/:idx/:stream/live': pipe('test:view'),
  // Accounts, teams, authorizations.
  'GET /account': self('account:read'), 'GET /users/:user': self('account:read'),
  'GET /oauth/authorizations': self('account:read'), 'GET /oauth/authorizations/:id': self('account:read'), 'POST /oauth/authorizations': self('account:write'),
  'PATCH /oauth/authorizations/:id': self('account:write'), 'DELETE /oauth/authorizations/:id': self('account:write'),
  'POST /oauth/authorizations/:id/actions/regenerate-tokens': self('account:write'),
  'GET /teams': self('account:read'), 'GET /teams/permissions': self('account:read'), 'POST /teams': ADMIN,
  'GET /teams/:team': { on: 'team', param: 'team', action: 'view' }, 'GET /teams/:team/features': { on: 'team', param: 'team', action: 'view' },
  'GET /teams/:team/members': { on: 'team', param: 'team', action: 'view' }, 'GET /teams/:team/invitations': { on: 'team', param: 'team', action: 'view' },
  'PUT /teams/:team/members': { on: 'team', param: 'team', action: 'manage' }, 'PATCH /teams/:team/members': { on: 'team', param: 'team', action: 'manage' },
  'DELETE /teams/:team/members/:user': { on: 'team', param: 'team', action: 'manage' },
  'GET /users': ADMIN, 'POST /users': ADMIN, 'DELETE /users/:user': ADMIN,
  // Operator resources (spaces, agents) are not listed: admins only.
};

/** The rule for a route (method and the route's URL pattern); undefined means admins only. */
export function ruleFor(method: string, routeUrl: string): Rule | undefined {
  return table[`${method === 'HEAD' ? 'GET' : method} ${routeUrl}`];
}
