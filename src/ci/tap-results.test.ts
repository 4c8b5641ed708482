import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TapReader, countCases, failureReason, testOutcome } from './tap-results.js';

const read = async (tap: string, chunk = 7) => {
  const r = new TapReader();
  for (let i = 0; i < tap.length; i += chunk) r.write(tap.slice(i, i + chunk));
  return r.end();
};

const NODE_TAP = `TAP version 13
# Subtest: a
ok 1 - a
  ---
  duration_ms: 1.3
  ...
# Subtest: b
ok 2 - b # SKIP x
# Subtest: c
not ok 3 - c # TODO y
  ---
  error: 'z'
  ...
# Subtest: d
not ok 4 - d
  ---
  duration_ms: 0.15
  location: '/tmp/t.test.mjs:5:1'
  error: 'boom'
  ...
1..4
# tests 4
`;

test('node:test TAP: pass, skip, todo and failure are counted, failure has its diagnostic', async () => {
  const s = await read(NODE_TAP);
  assert.deepEqual(countCases(s.cases), { passed: 1, failed: 1, skipped: 1, todo: 1 });
  assert.deepEqual(s.cases.map((c) => c.description), ['a', 'b', 'c', 'd']);
  assert.match(s.cases[3]!.diagnostic!, /^error: boom\nlocation: \/tmp\/t.test.mjs:5:1$/);
  assert.equal(testOutcome(0, s), 'failed');
  assert.deepEqual(s.cases.map((c) => c.durationMs), [1.3, null, null, 0.15], 'each reported duration, none where none was reported');
});

test('TAP failures take precedence over a zero exit code', async () => {
  assert.equal(testOutcome(0, await read('1..1\nnot ok 1 - x\n')), 'failed');
});

test('all passing TAP with exit 0 succeeds; a non-zero exit still fails', async () => {
  const s = await read('1..2\nok 1 - x\nok 2 - y\n');
  assert.equal(testOutcome(0, s), 'succeeded');
  assert.equal(testOutcome(1, s), 'failed');
});

test('fewer tests than planned fails', async () => {
  assert.equal(testOutcome(0, await read('1..3\nok 1 - x\n')), 'failed');
});

test('JUnit failures fail the run even with exit 0 and no TAP', async () => {
  const s = await read('plain\n');
  assert.equal(testOutcome(0, s, [{ status: 'passed' }, { status: 'failed' }]), 'failed');
  assert.equal(testOutcome(0, s, [{ status: 'passed' }]), 'succeeded');
});

test('no TAP: the exit code alone decides, no cases', async () => {
  const s = await read('plain output\nall good\n');
  assert.equal(s.sawTap, false);
  assert.equal(s.cases.length, 0);
  assert.equal(testOutcome(0, s), 'succeeded');
  assert.equal(testOutcome(2, s), 'failed');
});

test('nested suites are folded into their leaves', async () => {
  const s = await read(`TAP version 13
# Subtest: suite
    # Subtest: inner one
    ok 1 - inner one
    # Subtest: inner two
    not ok 2 - inner two
    1..2
not ok 1 - suite
1..1
`);
  assert.deepEqual(s.cases.map((c) => [c.description, c.status]), [['suite > inner one', 'passed'], ['suite > inner two', 'failed']]);
});

test("mocha's TAP: the indented lines after a not ok are its diagnostic, up to the next point", async () => {
  const r = await read(`1..3
ok 1 adds
not ok 2 math fails
  AssertionError [ERR_ASSERTION]: expected 1 to equal 2
      at Context.<anonymous> (test/a.js:5:12)
ok 3 last
# tests 3
`);
  assert.deepEqual(r.cases.map((c) => [c.status, c.diagnostic]), [
    ['passed', null],
    ['failed', 'AssertionError [ERR_ASSERTION]: expected 1 to equal 2\n    at Context.<anonymous> (test/a.js:5:12)'],
    ['passed', null],
  ]);
});

test('a failed run says why when no case failed', async () => {
  const passing = await read('TAP version 13\nok 1 a\nok 2 b\n1..2\n');
  assert.equal(failureReason(1, passing), 'the test command exited 1 after 2 passing tests');
  assert.equal(failureReason(0, passing), undefined, 'not failed');
  assert.equal(failureReason(255, await read('plain output\n')), 'no TAP or JUnit results; the test command exited 255');
  assert.equal(failureReason(null, await read('plain output\n')), 'no TAP or JUnit results; the test command exited on a signal');
  assert.equal(failureReason(1, await read('TAP version 13\nok 1 a\nBail out! database down\n')), 'the tests bailed out: database down');
  assert.equal(failureReason(0, await read('TAP version 13\n1..3\nok 1 a\n')), 'the TAP plan announced 3 tests but 1 ran');
  assert.equal(failureReason(1, await read('TAP version 13\nnot ok 1 a\n1..1\n')), undefined, 'the failed case explains it');
  assert.equal(failureReason(1, await read('plain\n'), [{ status: 'passed' }]), 'the test command exited 1 after 1 passing test', 'JUnit cases count');
});
