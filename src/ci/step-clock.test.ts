import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSteps, stepClock } from './step-clock.js';

test('steps are timed one after another; sandboxed CPU counts towards the step it was spent in', () => {
  const c = stepClock();
  c.sandboxCpu(30);
  c.sandboxCpu(12);
  c.sandboxCpu(undefined); // a command without a cgroup
  c.lap('unpack');
  c.lap('detect');
  assert.deepEqual(c.steps.map((s) => [s.step, s.sandboxCpuMs]), [['unpack', 42], ['detect', null]]);
  for (const s of c.steps) {
    assert.ok(s.wallMs >= 0);
    assert.ok(s.runnerCpuMs === null || s.runnerCpuMs >= 0);
  }
});

test('the log line names each step with its wall time and CPU', () => {
  assert.equal(describeSteps([{ step: 'workspace', wallMs: 21, sandboxCpuMs: null, runnerCpuMs: 10 }, { step: 'tests', wallMs: 800, sandboxCpuMs: 400, runnerCpuMs: null }]),
    'workspace 21 ms (cpu -+10), tests 800 ms (cpu 400+-)');
});
