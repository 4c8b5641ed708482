import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideGitlab, gitlabRepositoryOf } from './gitlab-events.js';
import { decideGitea } from './gitea-events.js';

const opts = { reviewApps: true, reviewAutodeploy: false, cloneUrlOverride: null };
const SHA = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
// Shapes from GitLab's "Webhook events" page (trimmed to what a delivery always carries).
const project = { id: 15, name: 'Diaspora', path_with_namespace: 'mike/diaspora', git_http_url: 'http://example.com/mike/diaspora.git', git_ssh_url: 'git@example.com:mike/diaspora.git' };
const push = { object_kind: 'push', event_name: 'push', before: '95790bf891e76fee5e1747ab589903a6a1f80f22', after: SHA, ref: 'refs/heads/master', checkout_sha: SHA, user_username: 'jsmith', project_id: 15, project,
  commits: [{ id: SHA, message: 'fixed readme\n', title: 'fixed readme', url: 'http://example.com/mike/diaspora/commit/da15' }], total_commits_count: 1 };
const mr = (attrs: Record<string, unknown>) => ({ object_kind: 'merge_request', event_type: 'merge_request', user: { username: 'root' }, project,
  object_attributes: { id: 99, iid: 1, source_branch: 'ms-viewport', target_branch: 'master', source_project_id: 15, target_project_id: 15, title: 'MS-Viewport', state: 'opened', action: 'open',
    last_commit: { id: SHA, message: 'fixed readme' }, source: { git_http_url: project.git_http_url }, ...attrs } });

test('a GitLab Push Hook is work on its branch; deleted branches and tags are ignored; bad shapes are invalid', () => {
  assert.equal(gitlabRepositoryOf(push), 'mike/diaspora');
  assert.deepEqual(decideGitlab('Push Hook', push, opts), { work: { kind: 'push', branch: 'master', sha: SHA, message: 'fixed readme', cloneUrl: project.git_http_url, actor: 'jsmith' } });
  assert.match((decideGitlab('Push Hook', { ...push, after: '0'.repeat(40), checkout_sha: null }, opts) as { ignored: string }).ignored, /deleted/);
  assert.match((decideGitlab('Push Hook', { ...push, ref: 'refs/tags/v1' }, opts) as { ignored: string }).ignored, /not a branch/);
  assert.match((decideGitlab('Push Hook', { ...push, after: 'nope' }, opts) as { invalid: string }).invalid, /after/);
  assert.match((decideGitlab('Issue Hook', push, opts) as { ignored: string }).ignored, /Issue Hook/);
});

test('GitLab merge requests: open/reopen open, update with new commits only with autodeploy, close and merge close', () => {
  assert.deepEqual(decideGitlab('Merge Request Hook', mr({}), opts), { work: { kind: 'pull_request', action: 'open', number: 1, branch: 'ms-viewport', sha: SHA, cloneUrl: project.git_http_url, title: 'MS-Viewport' } });
  assert.equal((decideGitlab('Merge Request Hook', mr({ action: 'reopen' }), opts) as { work: { action: string } }).work.action, 'open');
  assert.match((decideGitlab('Merge Request Hook', mr({ action: 'update', oldrev: 'b'.repeat(40) }), opts) as { ignored: string }).ignored, /autodeploy is off/);
  assert.equal((decideGitlab('Merge Request Hook', mr({ action: 'update', oldrev: 'b'.repeat(40) }), { ...opts, reviewAutodeploy: true }) as { work: { action: string } }).work.action, 'update');
  assert.match((decideGitlab('Merge Request Hook', mr({ action: 'update' }), { ...opts, reviewAutodeploy: true }) as { ignored: string }).ignored, /"update" needs nothing/, 'a title change is not a new commit');
  for (const a of ['close', 'merge']) assert.equal((decideGitlab('Merge Request Hook', mr({ action: a }), opts) as { work: { action: string } }).work.action, 'close');
  const fork = decideGitlab('Merge Request Hook', mr({ source_project_id: 99, source: { git_http_url: 'http://example.com/fork/diaspora.git' } }), { ...opts, cloneUrlOverride: 'http://mirror/x.git' }) as { work: { cloneUrl: string } };
  assert.equal(fork.work.cloneUrl, 'http://example.com/fork/diaspora.git', 'a fork\'s commits come from the fork');
  assert.match((decideGitlab('Merge Request Hook', mr({}), { ...opts, reviewApps: false }) as { ignored: string }).ignored, /review apps are off/);
});

test('Gitea payloads: the pusher is a login and new pull request commits are "synchronized"', () => {
  const repository = { id: 1, full_name: 'gitea/webhooks', clone_url: 'http://localhost:3000/gitea/webhooks.git' };
  const p = decideGitea('push', { ref: 'refs/heads/main', before: 'a'.repeat(40), after: SHA, head_commit: { id: SHA, message: 'init\n' }, repository, pusher: { id: 1, login: 'gitea', username: 'gitea' } }, opts);
  assert.deepEqual(p, { work: { kind: 'push', branch: 'main', sha: SHA, message: 'init\n', cloneUrl: repository.clone_url, actor: 'gitea' } });
  const pr = { action: 'synchronized', number: 3, pull_request: { number: 3, title: 't', head: { ref: 'feature', sha: SHA, repo: repository } }, repository };
  assert.equal((decideGitea('pull_request', pr, { ...opts, reviewAutodeploy: true }) as { work: { action: string } }).work.action, 'update');
});
