// JUnit XML reports → the same test cases as TAP, for runners that do not speak TAP
// (jest, vitest, mocha, pytest, surefire all write this format).
import { XMLParser } from 'fast-xml-parser';
import type { NewTestCase } from '../store/test-runs.js';
import { durationOf } from './tap-results.js';

type Node = Record<string, unknown>;
const list = (v: unknown): Node[] => (v === undefined ? [] : Array.isArray(v) ? (v as Node[]) : [v as Node]);
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'object' && v && '#text' in v ? String((v as Node)['#text']) : '');
const attr = (n: Node, name: string): string | undefined => (n[`@_${name}`] === undefined ? undefined : String(n[`@_${name}`]));

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseAttributeValue: false, parseTagValue: false, trimValues: true, processEntities: true });

/**
 * "suite > test" without the repeats producers write: jest-junit's classname ends with the test's
 * own title ("math adds" for "adds"), some suites repeat their parent's name.
 */
export function describeCase(path: string[], title: string): string {
  const parts = path.map((p, i) => (i === path.length - 1 && p !== title && p.endsWith(` ${title}`) ? p.slice(0, -title.length - 1) : p));
  return [...parts, title].filter((p, i, all) => p && p !== all[i - 1]).join(' > ');
}

export type JUnitParse = { ok: true; cases: Omit<NewTestCase, 'number'>[] } | { ok: false; message: string };

/** Parse one JUnit XML document; `<testsuites>` and nested `<testsuite>`s are both accepted. */
export function parseJUnit(xml: string, fileName: string): JUnitParse {
  let doc: Node;
  try { doc = parser.parse(xml, true) as Node; } catch (e) { return { ok: false, message: `${fileName} is not valid XML: ${(e as Error).message.split('\n')[0]}` }; }
  const cases: Omit<NewTestCase, 'number'>[] = [];
  const walkSuite = (suite: Node, prefix: string[]) => {
    const name = attr(suite, 'name');
    const path = name ? [...prefix, name] : prefix;
    for (const inner of list(suite['testsuite'])) walkSuite(inner, path);
    for (const tc of list(suite['testcase'])) {
      const title = attr(tc, 'name') ?? '(unnamed)';
      const cls = attr(tc, 'classname');
      const description = describeCase(cls && cls !== name ? [cls] : path, title);
      const failure = list(tc['failure'])[0] ?? list(tc['error'])[0];
      const skipNode = list(tc['skipped'])[0];
      const skipped = 'skipped' in tc;
      // node --test's reporter marks a todo as <skipped type="todo"> (with a failure when it failed): not a failure.
      const todo = typeof skipNode === 'object' && skipNode !== null && attr(skipNode, 'type') === 'todo';
      let diagnostic: string | null = null;
      if (failure !== undefined) {
        const message = typeof failure === 'object' ? attr(failure, 'message') : undefined;
        const body = text(failure);
        diagnostic = [message && `message: ${message}`, body].filter(Boolean).join('\n') || null;
      }
      const status = todo ? 'todo' : failure !== undefined ? 'failed' : skipped ? 'skipped' : 'passed';
      const time = Number(attr(tc, 'time'));
      cases.push({ description, status, diagnostic: status === 'failed' ? diagnostic : null, durationMs: attr(tc, 'time') === undefined ? null : durationOf(time * 1000) });
    }
  };
  const roots = [...list(doc['testsuites']), ...list(doc['testsuite']).map((s) => ({ testsuite: s }))];
  if (!roots.length) return { ok: false, message: `${fileName} has no <testsuites> or <testsuite> element; is it a JUnit report?` };
  for (const root of roots) walkSuite(root as Node, []);
  return { ok: true, cases };
}
