// The parts of a test run page that change while it runs: the summary (status, counts, buttons),
// each node's status, and the test cases (failures first, diagnostics expandable, flaky marked).
import type { TestCase, TestNode, TestRun } from '../../store/test-runs.js';
import { isTerminal, type TestStatus } from '../../core/test-run-status.js';
import { html, type Html } from '../html.js';
import { ago, badge, csrfField, enc, type View } from '../layout.js';
import { runDuration, shortSha } from '../format.js';
import { parallelHint, sameTestsOnEveryNode } from '../../ci/parallel-hint.js';

export type Counts = Record<string, number>;

export function summary(v: View, pipeline: string, run: TestRun, c: Counts): Html {
  const base = `/pipelines/${enc(pipeline)}/tests/${run.number}`;
  const going = !isTerminal(run.status as TestStatus);
  return html`<div class="summary">
<p class="status-line">${badge(run.status)} <span class="counts"><span class="ok">${c['passed'] ?? 0} passed</span> · <span class="bad">${c['failed'] ?? 0} failed</span> · <span class="muted">${c['skipped'] ?? 0} skipped · ${c['todo'] ?? 0} todo</span></span>
 · <span data-duration>${runDuration(run.created_at, run.finished_at, v.now)}</span></p>
${run.message ? html`<p class="run-message ${run.status}">${run.error_id ? html`<code>${run.error_id}</code> ` : ''}${run.message}</p>` : ''}
<div class="actions">
<form method="post" action="${base}/rerun">${csrfField(v)}<button type="submit">Re-run</button></form>
${going ? html`<form method="post" action="${base}/cancel">${csrfField(v)}<button type="submit" class="danger">Cancel run</button></form>` : ''}
</div></div>`;
}

export function meta(run: TestRun): Html {
  return html`<dl class="meta"><dt>Branch</dt><dd>${run.commit_branch ?? '—'}</dd><dt>Commit</dt><dd><code title="${run.commit_sha}">${shortSha(run.commit_sha)}</code> ${(run.commit_message ?? '').split('\n')[0]}</dd>
<dt>Started</dt><dd>${ago(run.created_at)}${run.actor ? html` by ${run.actor}` : ''}</dd>${run.kind === 'acceptance' ? html`<dt>Acceptance</dt><dd><code>${run.test_command}</code> against release v${run.target_release_version}</dd>` : ''}</dl>`;
}

export const nodeLabel = (n: TestNode): Html => html`Node ${n.idx} ${badge(n.status)}`;

export function nodeStatus(n: TestNode): Html {
  return html`${badge(n.status)}${n.waiting_reason ? html` <span class="muted">${n.waiting_reason}</span>` : ''}${n.message ? html` <span class="node-message">${n.error_id ? html`<code>${n.error_id}</code> ` : ''}${n.message}</span>` : ''}${n.exit_code !== null ? html` <span class="muted">exit ${n.exit_code}</span>` : ''}`;
}

const ORDER: Record<string, number> = { failed: 0, passed: 1, skipped: 2, todo: 3 };

export function casesTable(cases: TestCase[], nodeIdx: Map<string, number>, multiNode: boolean): Html {
  if (!cases.length) return html`<p class="muted">No test results (yet). Results come from TAP or JUnit output of the test step.</p>`;
  const doubled = multiNode && sameTestsOnEveryNode(cases.map((c) => ({ description: c.description, test_node: { index: nodeIdx.get(c.test_node_id) ?? 0 } })), nodeIdx.size);
  const sorted = [...cases].sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || (nodeIdx.get(a.test_node_id) ?? 0) - (nodeIdx.get(b.test_node_id) ?? 0) || a.number - b.number);
  return html`${doubled ? html`<p class="run-message failed parallel-hint">${parallelHint(nodeIdx.size)}</p>` : ''}<table class="list cases"><thead><tr><th>Result</th><th>Test</th>${multiNode ? html`<th>Node</th>` : ''}</tr></thead><tbody>
${sorted.map((c) => html`<tr class="case ${c.status}"><td>${badge(c.status === 'passed' ? 'succeeded' : c.status === 'failed' ? 'failed' : 'skipped', c.status)}${c.flaky ? html` <span class="tag flaky" title="Passed and failed on the same commit">flaky</span>` : ''}</td>
<td>${c.diagnostic ? html`<details${c.status === 'failed' ? html` data-diagnostic` : ''}><summary>${c.description}</summary><pre class="diagnostic">${c.diagnostic}</pre></details>` : c.description}</td>
${multiNode ? html`<td>${nodeIdx.get(c.test_node_id) ?? ''}</td>` : ''}</tr>`)}
</tbody></table>`;
}
