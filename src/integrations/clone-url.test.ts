import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedCloneHosts, checkCloneUrl, checkCloneUrlShape } from './clone-url.js';

test('options, local paths, file:// and remote helpers are never clone URLs', () => {
  for (const bad of ['--upload-pack=touch /tmp/x', '-u', '/etc', '/srv/other.git', './repo', 'file:///etc', 'ext::sh -c touch% /tmp/x', 'fd::3', 'git@github.com:o/r.git',
    'ftp://github.com/o/r.git', 'git://github.com/o/r.git', 'ssh://-oProxyCommand=touch%20x/r', 'ssh://-oProxyCommand=x@github.com/r', 'https://github.com/o/r.git\n--upload-pack=x', 'https://github.com/o r.git', '']) {
    assert.equal(checkCloneUrlShape(bad).ok, false, bad);
  }
  for (const good of ['https://github.com/o/r.git', 'http://127.0.0.1:8080/r.git', 'ssh://git@github.com/o/r.git']) assert.equal(checkCloneUrlShape(good).ok, true, good);
});

test('a webhook clone URL must be on the host the pipeline was connected to', () => {
  assert.deepEqual(allowedCloneHosts({ repo_clone_url: null, status_api_url: null }), ['github.com']);
  assert.deepEqual(allowedCloneHosts({ repo_clone_url: null, status_api_url: 'https://api.github.com' }), ['github.com']);
  assert.deepEqual(allowedCloneHosts({ repo_clone_url: null, status_api_url: 'https://gitea.example:3000/api/v1' }), ['github.com', 'gitea.example:3000']);
  assert.deepEqual(allowedCloneHosts({ repo_clone_url: 'http://127.0.0.1:9/r.git', status_api_url: 'https://api.github.com' }), ['127.0.0.1:9']);
  assert.deepEqual(allowedCloneHosts({ repo_clone_url: null, status_api_url: null, repo_provider: 'gitlab' }), ['gitlab.com']);
  assert.deepEqual(allowedCloneHosts({ repo_clone_url: null, status_api_url: 'https://git.example/api/v4', repo_provider: 'gitlab' }), ['gitlab.com', 'git.example']);
  assert.deepEqual(allowedCloneHosts({ repo_clone_url: null, status_api_url: 'https://gitea.example/api/v1', repo_provider: 'gitea' }), ['gitea.example'], 'Gitea has no public home: only its own host');
  assert.deepEqual(allowedCloneHosts({ repo_clone_url: null, status_api_url: null, repo_provider: 'gitea' }), []);
  const hosts = allowedCloneHosts({ repo_clone_url: 'http://127.0.0.1:9/r.git', status_api_url: null });
  assert.deepEqual(checkCloneUrl('http://127.0.0.1:9/fork.git', hosts), { ok: true, url: 'http://127.0.0.1:9/fork.git' });
  const other = checkCloneUrl('http://127.0.0.1:10/r.git', hosts);
  assert.equal(other.ok, false);
  assert.match((other as { message: string }).message, /is on 127\.0\.0\.1:10, but this pipeline fetches only from 127\.0\.0\.1:9/);
  assert.equal(checkCloneUrl('https://GitHub.com:443/o/r.git', ['github.com']).ok, true, 'host names are compared without case or default port');
  assert.equal(checkCloneUrl('https://github.com.evil.example/o/r.git', ['github.com']).ok, false);
  assert.equal(checkCloneUrl('https://github.com@evil.example/o/r.git', ['github.com']).ok, false);
});
