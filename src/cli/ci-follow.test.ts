import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForEnd } from './ci-follow.js';
import type { ApiClient } from './api-client.js';
import type { TestRunJson } from './types.js';

test('waitForEnd long-polls, and against a server that answers at once it still looks only every 100 ms', { timeout: 10_000 }, async () => {
  const asked: string[] = [];
  let answers = 0;
  // A server without the long poll: it answers at once, the run ends at the fourth answer.
  const api = { get: async (url: string) => { asked.push(url); answers++; return { id: 'r1', status: answers < 4 ? 'running' : 'succeeded' }; } } as unknown as ApiClient;
  const started = Date.now();
  const r = await waitForEnd(api, { id: 'r1' } as TestRunJson);
  assert.equal(r.status, 'succeeded');
  assert.deepEqual(asked, Array(4).fill('/test-runs/r1?wait_for_end=25'));
  assert.ok(Date.now() - started >= 290, `three pauses of 100 ms between four looks (took ${Date.now() - started} ms)`);
});
