import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { isAppJson, scanTarball, TarWalk } from './tar-scan.js';

const LIMITS = { compressedBytes: 10 * 1024 * 1024, unpackedBytes: 100 * 1024 * 1024, entries: 1000 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tarscan-'));
let seq = 0;

function tgz(files: Record<string, string>, opts: { prefix?: string; gitArchive?: boolean } = {}): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'src-'));
  for (const [f, body] of Object.entries(files)) { fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true }); fs.writeFileSync(path.join(dir, f), body); }
  const out = path.join(tmp, `${++seq}.tgz`);
  if (opts.gitArchive) {
    const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['add', '-A'], { cwd: dir });
    execFileSync('git', ['commit', '-qm', 'x'], { cwd: dir, env });
    fs.writeFileSync(out, execFileSync('git', ['archive', '--format=tar.gz', ...(opts.prefix ? [`--prefix=${opts.prefix}/`] : []), 'HEAD'], { cwd: dir }));
  } else execFileSync('tar', ['-czf', out, '-C', dir, '.']);
  return out;
}

const write = (buf: Buffer): string => { const f = path.join(tmp, `${++seq}.bin`); fs.writeFileSync(f, buf); return f; };

test('finds app.json in a git archive (pax global header), a plain tar with ./ names, and under one top folder', async () => {
  for (const t of [tgz({ 'app.json': '{"a":1}', 'src/x.js': 'x' }, { gitArchive: true }), tgz({ 'app.json': '{"a":1}' })]) {
    const r = await scanTarball(t, LIMITS, 'The source', isAppJson);
    assert.deepEqual(r.ok && r.member ? [r.member.name, r.member.data.toString()] : r, ['app.json', '{"a":1}']);
  }
  const r = await scanTarball(tgz({ 'app.json': '{}' }, { gitArchive: true, prefix: 'repo-abc123' }), LIMITS, 'The source', isAppJson);
  assert.equal(r.ok && r.member?.name, 'repo-abc123/app.json');
});

test('long paths through pax headers; entries and unpacked bytes counted', async () => {
  const long = 'd'.repeat(120) + '/deep.txt';
  const r = await scanTarball(tgz({ [long]: 'deep', 'b.txt': 'b' }, { gitArchive: true }), LIMITS, 'The source', (p) => p === long);
  assert.equal(r.ok && r.member?.data.toString(), 'deep');
  assert.ok(r.ok && r.entries >= 3 && r.unpackedBytes > 0);
});

test('absent → member null; not gzip or truncated → invalid_params', async () => {
  const r = await scanTarball(tgz({ 'README.md': 'x' }, { gitArchive: true }), LIMITS, 'The source', isAppJson);
  assert.equal(r.ok && r.member, null);
  const bad = await scanTarball(write(Buffer.from('not gzip')), LIMITS, 'The source');
  assert.equal(!bad.ok && bad.errorId, 'invalid_params');
  const cut = write(zlib.gzipSync(zlib.gunzipSync(fs.readFileSync(tgz({ 'big.txt': 'x'.repeat(5000) }))).subarray(0, 1024)));
  assert.equal((await scanTarball(cut, LIMITS, 'The source')).ok, false);
});

test('over the compressed, unpacked or entry limit → source_too_large naming the setting', async () => {
  const big = tgz({ 'zeros.bin': '\0'.repeat(3 * 1024 * 1024) });
  const unpacked = await scanTarball(big, { ...LIMITS, unpackedBytes: 1024 * 1024 }, 'The source');
  assert.ok(!unpacked.ok && unpacked.errorId === 'source_too_large' && /SLIPWAY_MAX_UNPACKED_MB/.test(unpacked.message));
  const compressed = await scanTarball(big, { ...LIMITS, compressedBytes: 100 }, 'The source');
  assert.ok(!compressed.ok && /SLIPWAY_MAX_SOURCE_MB/.test(compressed.message));
  const many = tgz(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, 'x'])));
  const entries = await scanTarball(many, { ...LIMITS, entries: 10 }, 'The source');
  assert.ok(!entries.ok && /more than 10 files/.test(entries.message));
});

test('an app.json that is a symbolic link is refused by name', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'link-'));
  fs.symlinkSync('/etc/shadow', path.join(dir, 'app.json'));
  const out = path.join(tmp, 'link.tgz');
  execFileSync('tar', ['-czf', out, '-C', dir, '.']);
  const r = await scanTarball(out, LIMITS, 'The source', isAppJson);
  assert.ok(!r.ok && r.errorId === 'unsafe_file' && /app\.json in the source is a symbolic link/.test(r.message));
});

test('TarWalk over the uncompressed stream, fed in chunks of any size, answers what scanTarball answers of its gzip', async () => {
  const long = 'd'.repeat(120) + '/deep.txt';
  const files = { [long]: 'deep', 'app.json': '{"a":1}', 'big.bin': 'y'.repeat(70_000), ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, 'x'.repeat(i * 97)])) };
  const t = tgz(files, { gitArchive: true });
  const tar = zlib.gunzipSync(fs.readFileSync(t));
  const feed = (limits: typeof LIMITS, step: number) => {
    const walk = new TarWalk(limits, 'The compiled slug', isAppJson);
    for (let i = 0; i < tar.length; i += step) { const refused = walk.push(tar.subarray(i, i + step)); if (refused) return refused; }
    return walk.end();
  };
  for (const limits of [LIMITS, { ...LIMITS, entries: 10 }, { ...LIMITS, unpackedBytes: 40_000 }]) {
    const whole = await scanTarball(t, limits, 'The compiled slug', isAppJson);
    for (const step of [1, 7, 511, 512, 513, 4096, 65_536, tar.length]) assert.deepEqual(feed(limits, step), whole, `limits ${JSON.stringify(limits)}, chunks of ${step}`);
  }
  const cut = new TarWalk(LIMITS, 'The compiled slug');
  assert.equal(cut.push(tar.subarray(0, 1500)), undefined);
  assert.match(JSON.stringify(cut.end()), /The compiled slug is a truncated or corrupt tar archive/);
});

test('TarWalk with tailFrom: the SHA-256 of the stream from that entry\'s header to its end, in chunks of any size', () => {
  // As the build packs a slug: the app without node_modules and without its end blocks, then node_modules' own archive.
  const dir = fs.mkdtempSync(path.join(tmp, 'tail-'));
  const files: Record<string, string> = { 'server.js': 'x', 'node_modules/a/index.js': 'a'.repeat(3000), [`node_modules/${'n'.repeat(120)}/long.js`]: 'long', 'node_modules/.package-lock.json': '{}' };
  for (const [f, body] of Object.entries(files)) { fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true }); fs.writeFileSync(path.join(dir, f), body); }
  const head = execFileSync('tar', ['-cf', '-', '-b1', '--anchored', '--exclude=./node_modules', '-C', dir, '.']).subarray(0, -1024);
  const modules = execFileSync('tar', ['-cf', '-', '--sort=name', '-C', dir, './node_modules']);
  const stream = Buffer.concat([head, modules]);
  const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
  for (const step of [1, 100, 511, 512, 513, 4096, stream.length]) {
    const walk = new TarWalk(LIMITS, 'The compiled slug', undefined, undefined, 'node_modules/');
    for (let i = 0; i < stream.length; i += step) assert.equal(walk.push(stream.subarray(i, i + step)), undefined);
    const r = walk.end();
    assert.ok(r.ok && r.entries === 8, JSON.stringify(r)); // ./, server.js; node_modules/, a/, a/index.js, the long folder (one GNU long-name entry), long.js, .package-lock.json
    assert.deepEqual(walk.tailHash(), { offset: head.length, sha256: sha(modules) }, `chunks of ${step}`);
  }
  const none = new TarWalk(LIMITS, 'The compiled slug', undefined, undefined, 'vendor/');
  none.push(stream);
  assert.ok(none.end().ok);
  assert.equal(none.tailHash(), undefined);
});
