// The pipeline's automation settings, read-only (changed with `slipway pipelines:update`), and its event log.
import type { Pipeline } from '../../store/pipelines.js';
import type { PipelineEvent } from '../../store/pipeline-events.js';
import { html, type Html } from '../html.js';
import { ago } from '../layout.js';

const onOff = (v: number): Html => (v ? html`<span class="on">on</span>` : html`<span class="off">off</span>`);

export function automationPanel(p: Pipeline): Html {
  const rows: Array<[string, unknown]> = [
    ['CI on push', onOff(p.ci_enabled)],
    ['CI branches', p.ci_branches ?? 'all'],
    ['CI time limit', p.ci_timeout_seconds ? `${p.ci_timeout_seconds}s` : 'server default'],
    ['Deploy branch', p.deploy_branch],
    ['Auto-deploy to development', onOff(p.auto_deploy)],
    ['Wait for CI before deploying', onOff(p.wait_for_ci)],
    ['Auto-promote development → qa', onOff(p.auto_promote)],
    ['Acceptance command on staging', p.acceptance_command ? html`<code>${p.acceptance_command}</code>` : 'none'],
    ['Repository', p.repo ?? 'not connected'],
    ['Review apps', html`${onOff(p.review_apps)} (auto-deploy ${onOff(p.review_autodeploy)}, auto-destroy ${onOff(p.review_autodestroy)})`],
  ];
  return html`<section class="card automation"><h2>Automation</h2>
<dl>${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
<p class="muted small">Change with <code>slipway pipelines:update -p ${p.name} …</code></p></section>`;
}

export function eventLog(events: PipelineEvent[]): Html {
  return html`<h2>Activity</h2>${events.length ? html`<ol class="events">${[...events].reverse().map((e) => html`<li><span class="kind">${e.kind}</span> ${e.message} ${ago(e.created_at)}</li>`)}</ol>` : html`<p class="muted">Nothing has happened yet.</p>`}`;
}
