// The pipeline's automation settings, with a form that changes them (as `slipway pipelines:update`
// does, through the same API route), and its event log.
import type { Pipeline } from '../../store/pipelines.js';
import type { PipelineEvent } from '../../store/pipeline-events.js';
import { html, type Html } from '../html.js';
import { ago, csrfField, enc, type View } from '../layout.js';
import { repositoryForm } from './repository-form.js';

const onOff = (v: number): Html => (v ? html`<span class="on">on</span>` : html`<span class="off">off</span>`);

const check = (name: string, label: string, on: number): Html =>
  html`<label class="check"><input type="checkbox" name="${name}" value="on"${on ? html` checked` : ''}> ${label}</label>`;

/** The edit form: every automation setting of `pipelines:update`, as it is now. */
function automationForm(v: View, p: Pipeline): Html {
  return html`<details class="edit"><summary>Edit settings</summary>
<form method="post" action="/pipelines/${enc(p.name)}/settings" class="stack">${csrfField(v)}
${check('ci_enabled', 'CI on push', p.ci_enabled)}
<label>CI branches <input name="ci_branches" value="${p.ci_branches ?? ''}" placeholder="all (or main,release/*)"></label>
<label>CI time limit (seconds) <input name="ci_timeout_seconds" type="number" min="1" value="${p.ci_timeout_seconds ?? ''}" placeholder="server default"></label>
<label>Deploy branch <input name="deploy_branch" value="${p.deploy_branch}" required></label>
${check('auto_deploy', 'Auto-deploy to development', p.auto_deploy)}
${check('wait_for_ci', 'Wait for CI before deploying', p.wait_for_ci)}
${check('auto_promote', 'Auto-promote development → qa', p.auto_promote)}
<label>Acceptance command on staging <input name="acceptance_command" value="${p.acceptance_command ?? ''}" placeholder="none"></label>
${check('review_apps', 'Review apps', p.review_apps)} ${check('review_autodeploy', 'auto-deploy', p.review_autodeploy)} ${check('review_autodestroy', 'auto-destroy', p.review_autodestroy)}
<button type="submit">Save</button></form></details>`;
}

export function automationPanel(p: Pipeline, v?: View): Html {
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
${v ? html`${automationForm(v, p)}${repositoryForm(v, p)}` : html`<p class="muted small">Change with <code>slipway pipelines:update -p ${p.name} …</code></p>`}</section>`;
}

export function eventLog(events: PipelineEvent[]): Html {
  return html`<h2>Activity</h2>${events.length ? html`<ol class="events">${[...events].reverse().map((e) => html`<li><span class="kind">${e.kind}</span> ${e.message} ${ago(e.created_at)}</li>`)}</ol>` : html`<p class="muted">Nothing has happened yet.</p>`}`;
}
