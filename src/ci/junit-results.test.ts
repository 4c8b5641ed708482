import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCase, parseJUnit } from './junit-results.js';

const JEST = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="4" failures="1" errors="0" time="0.5">
  <testsuite name="math" errors="0" failures="1" skipped="1" tests="4">
    <testcase classname="math adds" name="adds" time="0.001"/>
    <testcase classname="math multiplies" name="multiplies" time="0.001"></testcase>
    <testcase classname="math broken" name="subtracts" time="0.002">
      <failure message="expected 1 to be 2" type="AssertionError">Error: expected 1 to be 2 &amp; more
    at Object.&lt;anonymous&gt; (math.test.js:9:5)</failure>
    </testcase>
    <testcase classname="math later" name="divides"><skipped/></testcase>
  </testsuite>
</testsuites>`;

test('a jest-style report: passes, a failure with its message and stack, a skip', () => {
  const r = parseJUnit(JEST, 'junit.xml');
  assert.equal(r.ok, true);
  const cases = (r as { cases: { description: string; status: string; diagnostic: string | null }[] }).cases;
  assert.deepEqual(cases.map((c) => [c.description, c.status]), [
    ['math > adds', 'passed'], ['math > multiplies', 'passed'], ['math broken > subtracts', 'failed'], ['math later > divides', 'skipped'],
  ]);
  assert.deepEqual(cases.map((c) => (c as { durationMs?: number | null }).durationMs), [1, 1, 2, null], 'time (s) as ms; none without a time');
  assert.match(cases[2]!.diagnostic!, /^message: expected 1 to be 2\nError: expected 1 to be 2 & more\n\s+at Object.<anonymous> \(math.test.js:9:5\)$/);
});

test('a single <testsuite> root (pytest), <error> counts as failed, nested suites name their path', () => {
  const r = parseJUnit(`<testsuite name="pytest"><testsuite name="inner"><testcase name="t1"><error message="boom"/></testcase></testsuite><testcase name="t2"/></testsuite>`, 'r.xml');
  assert.deepEqual((r as { cases: unknown[] }).cases, [
    { description: 'pytest > inner > t1', status: 'failed', diagnostic: 'message: boom', durationMs: null },
    { description: 'pytest > t2', status: 'passed', diagnostic: null, durationMs: null },
  ]);
});

test("node --test's JUnit reporter: todo (even failing) is todo, not a failure", () => {
  const r = parseJUnit(`<testsuites><testcase name="a" classname="test"/><testcase name="c" classname="test" failure="z"><skipped type="todo" message="y"/><failure type="testCodeFailure" message="z">x</failure></testcase><testcase name="b" classname="test"><skipped type="skipped" message="x"/></testcase></testsuites>`, 'j.xml');
  assert.deepEqual((r as { cases: { status: string }[] }).cases.map((c) => c.status), ['passed', 'todo', 'skipped']);
});

test('not XML, or not JUnit, is reported with the file name', () => {
  assert.match((parseJUnit('<testsuites><testsuite>', 'bad.xml') as { message: string }).message, /bad\.xml is not valid XML/);
  assert.match((parseJUnit('<html></html>', 'page.xml') as { message: string }).message, /page\.xml has no <testsuites>/);
});

test('names repeated by producers are collapsed: a classname ending with the title, a suite named as its parent', () => {
  assert.equal(describeCase(['math adds'], 'adds'), 'math > adds');
  assert.equal(describeCase(['adds'], 'adds'), 'adds');
  assert.equal(describeCase(['vitest tests', 'test/sum.test.ts', 'test/sum.test.ts'], 'sum > adds'), 'vitest tests > test/sum.test.ts > sum > adds');
  assert.equal(describeCase(['math'], 'subtracts'), 'math > subtracts');
});
