import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropSharedCompiles, takeCompiled } from './shared-compile.js';
import { StepError } from './node-steps.js';
import type { Workspace } from './workspace.js';

const workRoot = () => fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-shared-compile-'));
const makeWorkspace = (root: string) => async (id: string): Promise<Workspace> => {
  const r = path.join(root, id);
  const ws = { root: r, app: path.join(r, 'app'), cache: path.join(r, 'cache'), env: path.join(r, 'env'), buildpacks: path.join(r, 'buildpacks'), tmp: path.join(r, 'tmp') };
  for (const d of Object.values(ws)) fs.mkdirSync(d, { recursive: true });
  return ws;
};

test('the first node compiles, the others wait for it and share it; the workspace goes once every node is done', { timeout: 10_000 }, async () => {
  const root = workRoot();
  let compiles = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const take = (i: number) => takeCompiled({
    runId: 'r1', nodeIndex: i, nodeTotal: 3, workRoot: root, makeWorkspace: makeWorkspace(root), log: () => {},
    compile: async (_ws, log) => { compiles++; log(`compiled by ${i}\n`); await gate; return { buildpacks: [], restored: undefined }; },
  });
  const all = [take(1), take(0), take(2)];
  release();
  const got = await Promise.all(all);
  assert.equal(compiles, 1);
  assert.deepEqual(got.map((t) => t.first), [true, false, false]);
  for (const t of got) {
    assert.ok(t.outcome.ok);
    assert.equal(t.outcome.by, 1);
    assert.equal(t.outcome.output.toString(), 'compiled by 1\n');
  }
  assert.equal(fs.readdirSync(root).length, 1);
  await got[0]!.done();
  await got[1]!.done();
  assert.equal(fs.readdirSync(root).length, 1, 'kept while a node still copies it');
  await got[2]!.done();
  await got[2]!.done(); // twice is once
  assert.deepEqual(fs.readdirSync(root), []);
});

test('a failed compile is every node\'s outcome; a cancelled one is not shared: the next node compiles again', { timeout: 10_000 }, async () => {
  const root = workRoot();
  const failing = (runId: string, error: StepError) => (i: number) => takeCompiled({
    runId, nodeIndex: i, nodeTotal: 2, workRoot: root, makeWorkspace: makeWorkspace(root), log: () => {},
    compile: async () => { throw error; },
  });
  const failed = await Promise.all([0, 1].map(failing('r2', new StepError('buildpack_failed', 'Buildpack x bin/test-compile exited with code 3.'))));
  for (const t of failed) {
    assert.equal(t.outcome.ok, false);
    assert.equal(!t.outcome.ok && t.outcome.error.message, 'Buildpack x bin/test-compile exited with code 3.');
    await t.done();
  }
  const cancelled = new StepError('invalid_state', 'cancelled', { exitCode: null, signal: 'SIGTERM', reason: 'cancelled', timedOut: false, isCanceled: true, durationMs: 1 });
  const first = await failing('r3', cancelled)(0);
  assert.equal(first.outcome.ok, false);
  await first.done();
  const again = await takeCompiled({
    runId: 'r3', nodeIndex: 1, nodeTotal: 2, workRoot: root, makeWorkspace: makeWorkspace(root), log: () => {},
    compile: async () => ({ buildpacks: [], restored: undefined }),
  });
  assert.equal(again.first, true, 'the cancelled compile was dropped');
  assert.ok(again.outcome.ok);
  await again.done();
  assert.equal(fs.readdirSync(root).length, 1, 'kept for the node of the run not seen yet (until the idle time); the failed ones left nothing');
  await dropSharedCompiles(root); // shutdown
  assert.deepEqual(fs.readdirSync(root), []);
});
