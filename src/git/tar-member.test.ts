import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { readTarMember } from './tar-member.js';

const isAppJson = (p: string) => p === 'app.json' || /^[^/]+\/app\.json$/.test(p);

function tgz(files: Record<string, string>, opts: { prefix?: string; gitArchive?: boolean } = {}): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tarmember-'));
  for (const [f, body] of Object.entries(files)) { fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true }); fs.writeFileSync(path.join(dir, f), body); }
  if (opts.gitArchive) {
    const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['add', '-A'], { cwd: dir });
    execFileSync('git', ['commit', '-qm', 'x'], { cwd: dir, env });
    return execFileSync('git', ['archive', '--format=tar.gz', ...(opts.prefix ? [`--prefix=${opts.prefix}/`] : []), 'HEAD'], { cwd: dir });
  }
  return execFileSync('tar', ['-czf', '-', '-C', dir, '.']);
}

test('finds app.json in a git archive (pax global header) and in a plain tar with ./ names', () => {
  for (const t of [tgz({ 'app.json': '{"a":1}', 'src/x.js': 'x' }, { gitArchive: true }), tgz({ 'app.json': '{"a":1}' })]) {
    const r = readTarMember(t, isAppJson);
    assert.deepEqual(r.ok && r.name !== null ? [r.name, r.data.toString()] : r, ['app.json', '{"a":1}']);
  }
});

test('finds it under a single top folder (GitHub tarballs), and long paths through pax headers', () => {
  const r = readTarMember(tgz({ 'app.json': '{}' }, { gitArchive: true, prefix: 'repo-abc123' }), isAppJson);
  assert.equal(r.ok && r.name, 'repo-abc123/app.json');
  const long = 'd'.repeat(120) + '/deep.txt';
  const r2 = readTarMember(tgz({ [long]: 'deep' }, { gitArchive: true }), (p) => p === long);
  assert.equal(r2.ok && r2.name !== null && r2.data.toString(), 'deep');
});

test('absent → name null; not gzip or truncated → an error', () => {
  assert.deepEqual(readTarMember(tgz({ 'README.md': 'x' }, { gitArchive: true }), isAppJson), { ok: true, name: null });
  assert.equal(readTarMember(Buffer.from('not gzip'), isAppJson).ok, false);
  const t = tgz({ 'big.txt': 'x'.repeat(5000) });
  const cut = zlib.gzipSync(zlib.gunzipSync(t).subarray(0, 1024));
  assert.equal(readTarMember(cut, (p) => p === 'big.txt').ok, false);
});
