import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddonSupervisor, exitLine } from './addon-supervisor.js';
import type { Started } from '../sandbox/sandbox.js';
import type { SandboxResult } from '../sandbox/result.js';
import type { AddonServerStatus } from '../core/addon-server-status.js';

/** A process fixture: it runs until `end` (or `stop`) is called, as the supervisor's port sees a server. */
function fixture(pid: number): Started & { end(r: Partial<SandboxResult>): void } {
  let end!: (r: SandboxResult) => void;
  const result = new Promise<SandboxResult>((r) => { end = r; });
  const ended = (r: Partial<SandboxResult>) => end({ exitCode: null, signal: null, reason: 'exited', timedOut: false, isCanceled: false, durationMs: 1, ...r });
  return {
    pid, marker: `m-${pid}`, result, memoryBytes: () => undefined, cpuMs: () => undefined,
    end: ended, stop: () => { ended({ reason: 'cancelled', isCanceled: true }); return result; },
  };
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), `waited for ${what}`);
};

test('how a process ended is said as Heroku says it of a dyno', { timeout: 5000 }, () => {
  const r = { signal: null, timedOut: false, isCanceled: false, durationMs: 1 };
  assert.equal(exitLine({ ...r, exitCode: 137, reason: 'exited' }), 'process exited with status 137');
  assert.equal(exitLine({ ...r, exitCode: null, reason: 'signalled' }), 'process exited with status unknown');
  assert.equal(exitLine({ ...r, exitCode: null, reason: 'limit-exceeded', limitExceeded: { resource: 'memory', limitMb: 512 } }), 'process was stopped: it exceeded its memory limit of 512 MB');
});

test('a server that ends is started again after the back-off; a start that fails is a crash with a longer wait; each move is said and reported', { timeout: 20_000 }, async () => {
  const lines: string[] = [];
  const statuses: AddonServerStatus[] = [];
  const sup = new AddonSupervisor({ log: (app, source, line) => lines.push(`${app} ${source}: ${line}`), status: (id, s) => { assert.equal(id, 'a1'); statuses.push(s); } });
  const first = fixture(10);
  const second = fixture(11);
  const recorded: number[] = [];
  let starts = 0;
  sup.watch({
    id: 'a1', appId: 'app', name: 'heroku-redis-a1', proc: first,
    restart: async () => { starts++; if (starts === 1) throw new Error('redis-server exited with code 1: Invalid AOF manifest file format'); return second; },
    running: (p, s) => { recorded.push(p.pid!); assert.equal(s.restarts, 2); },
  });
  first.end({ exitCode: 137 });
  await until('the second start', () => sup.procs().length === 1 && sup.procs()[0]![1] === second);
  assert.deepEqual(recorded, [11], 'the new process is recorded');
  assert.deepEqual(lines, [
    'app heroku[heroku-redis-a1]: heroku-redis-a1: process exited with status 137; state changed to crashed; starting it again at the same address in 1 s (restart 1)',
    'app heroku[heroku-redis-a1]: heroku-redis-a1: starting it failed: redis-server exited with code 1: Invalid AOF manifest file format; state changed to crashed; starting it again at the same address in 2 s (restart 2)',
    'app heroku[heroku-redis-a1]: heroku-redis-a1: state changed from starting to up (restart 2)',
  ]);
  assert.deepEqual(statuses.map((s) => [s.state, s.restarts, s.last_exit]), [
    ['crashed', 0, 'process exited with status 137'],
    ['starting', 1, 'process exited with status 137'],
    ['crashed', 1, 'starting it failed: redis-server exited with code 1: Invalid AOF manifest file format'],
    ['starting', 2, 'starting it failed: redis-server exited with code 1: Invalid AOF manifest file format'],
    ['up', 2, 'starting it failed: redis-server exited with code 1: Invalid AOF manifest file format'],
  ]);
  // Forgotten (destroyed, or handed over): its end starts nothing.
  assert.equal(sup.forget('a1')?.proc, second);
  await second.stop();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(starts, 2);
  assert.deepEqual(sup.procs(), []);
});

test('an adopted server goes on counting from what the earlier process recorded', { timeout: 10_000 }, async () => {
  const statuses: AddonServerStatus[] = [];
  const sup = new AddonSupervisor({ log: () => {}, status: (_id, s) => statuses.push(s) });
  const proc = fixture(20);
  sup.watch({ id: 'a2', appId: 'app', name: 'heroku-postgresql-a2', proc, restarts: 4, lastExit: 'process exited with status 1', restart: async () => fixture(21), running: () => {} });
  proc.end({ exitCode: 137 });
  await until('up again', () => statuses.at(-1)?.state === 'up');
  assert.equal(statuses.at(-1)!.restarts, 5);
  assert.equal(statuses.at(-1)!.last_exit, 'process exited with status 137');
  sup.forgetAll();
});
