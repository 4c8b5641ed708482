// Following a test run from the terminal: node output live, then a summary with the failures.
import type { ApiClient } from './api-client.js';
import { bold, dim, red, statusColour, yellow } from './format.js';
import type { TestCaseJson, TestNodeJson, TestRunJson } from './types.js';
import { parallelHint, sameTestsOnEveryNode } from '../ci/parallel-hint.js';

const TERMINAL = new Set(['succeeded', 'failed', 'errored', 'cancelled']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function getRun(api: ApiClient, pipeline: string, number: number | 'latest'): Promise<TestRunJson> {
  if (number === 'latest') {
    const [last] = await api.get<TestRunJson[]>(`/pipelines/${encodeURIComponent(pipeline)}/test-runs?limit=1`);
    if (!last) throw Object.assign(new Error(`Pipeline ${pipeline} has no test runs yet. Start one with \`slipway ci:run\`.`), { cli: true });
    return last;
  }
  return api.get<TestRunJson>(`/pipelines/${encodeURIComponent(pipeline)}/test-runs/${number}`);
}

/** Stream one node's setup and test output to stdout, following it live while it runs. */
export async function streamNode(api: ApiClient, run: TestRunJson, index: number): Promise<void> {
  let node: TestNodeJson | undefined;
  let said = '';
  for (;;) {
    const nodes = await api.get<TestNodeJson[]>(`/test-runs/${run.id}/test-nodes`);
    node = nodes.find((n) => n.index === index);
    if (node || TERMINAL.has((await api.get<TestRunJson>(`/test-runs/${run.id}`)).status)) break;
    await sleep(100);
  }
  if (!node) return;
  if (node.waiting_reason && node.status === 'pending' && said !== node.waiting_reason) { said = node.waiting_reason; process.stderr.write(dim(`(${said})\n`)); }
  await api.stream(node.setup_stream_url, process.stdout);
  await api.stream(node.output_stream_url, process.stdout);
}

/** The run once it has ended: the server answers when it ends (a long poll), not at the next of our polls. */
export async function waitForEnd(api: ApiClient, run: TestRunJson): Promise<TestRunJson> {
  for (;;) {
    const asked = Date.now();
    const r = await api.get<TestRunJson>(`/test-runs/${run.id}?wait_for_end=25`);
    if (TERMINAL.has(r.status)) return r;
    // A server that does not know the long poll answers at once: then look again every 100 ms, as before it.
    if (Date.now() - asked < 100) await sleep(100);
  }
}

/** "Test run #N failed: counts", and why when it failed with no failed case to say so. */
export function describeRun(r: TestRunJson): string {
  const c = r.counts;
  const counts = c.passed + c.failed + c.skipped + c.todo > 0 ? `: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, ${c.todo} todo` : '';
  const why = r.status === 'failed' && r.message ? ` — ${r.message}` : '';
  return `Test run #${r.number} ${statusColour(r.status)}${counts}${why}`;
}

const STATUS_ORDER: Record<string, number> = { failed: 0, passed: 1, skipped: 2, todo: 3 };

/** Every test case of a run (all pages), failures first, then by node and number. */
export async function allCases(api: ApiClient, runId: string): Promise<TestCaseJson[]> {
  const cases = await api.list<TestCaseJson>(`/test-runs/${runId}/test-cases`);
  return cases.sort((a, b) => (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) || a.test_node.index - b.test_node.index || a.number - b.number);
}

/** The end of a run as a person wants it: status, counts, what failed and why, where to look again. */
export async function printSummary(api: ApiClient, r: TestRunJson): Promise<void> {
  const [nodes, cases] = await Promise.all([api.get<TestNodeJson[]>(`/test-runs/${r.id}/test-nodes`), allCases(api, r.id)]);
  const failed = cases.filter((c) => c.status === 'failed');
  const flaky = cases.filter((c) => c.flaky);
  process.stdout.write('\n');
  for (const c of failed) {
    process.stdout.write(`${red('✗')} ${bold(c.description)}${c.flaky ? yellow(' (flaky: passed on this commit before)') : ''}${nodes.length > 1 ? dim(` (node ${c.test_node.index})`) : ''}\n`);
    if (c.diagnostic) process.stdout.write(c.diagnostic.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
  }
  for (const c of flaky.filter((x) => x.status === 'passed')) process.stdout.write(`${yellow('~')} ${c.description} ${yellow('(flaky: failed on this commit before)')}\n`);
  if (nodes.length > 1) for (const n of nodes) process.stdout.write(`  node ${n.index}: ${statusColour(n.status)}${n.message ? ` — ${n.message}` : ''}\n`);
  if (sameTestsOnEveryNode(cases, nodes.length)) process.stdout.write(`${yellow(parallelHint(nodes.length))}\n`);
  process.stdout.write(`${describeRun(r)}\n`);
  if (r.message && (r.status === 'errored' || r.status === 'cancelled')) process.stdout.write(`${r.message}\n`);
  process.stdout.write(dim(`${r.url}\n`));
}

export const exitFor = (r: TestRunJson): number => (r.status === 'succeeded' ? 0 : 1);
