import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBuildpackRef } from './buildpack-ref.js';

const kind = (u: string) => { const r = parseBuildpackRef(u, ['heroku/nodejs']); return r.ok ? r.ref.kind : r.message; };

test('built-in names and Heroku URLs for them', () => {
  assert.equal(kind('heroku/nodejs'), 'builtin');
  assert.equal(kind('https://github.com/heroku/heroku-buildpack-nodejs'), 'builtin');
});
test('folders and git URLs', () => {
  assert.equal(kind('./ci-buildpack'), 'app-folder');
  assert.equal(kind('/opt/bp'), 'local');
  assert.equal(kind('file:///opt/bp'), 'local');
  assert.deepEqual(parseBuildpackRef('https://example.test/bp.git#v2', []), { ok: true, ref: { kind: 'git', url: 'https://example.test/bp.git', ref: 'v2' } });
});
test('unknown names and escapes are refused with a message', () => {
  assert.match(kind('heroku/cobol'), /Unknown buildpack "heroku\/cobol".*heroku\/nodejs/);
  assert.match(kind('./a/../../etc'), /outside the app/);
});
