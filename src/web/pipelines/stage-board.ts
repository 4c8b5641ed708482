// The pipeline board in Heroku's shape: one column per stage, each app with its current release
// (version, commit, age, status), a release in progress, and a Promote button to the next stage.
import type { AppContext } from '../../app-context.js';
import type { Pipeline } from '../../store/pipelines.js';
import { listCouplings, type CouplingWithNames } from '../../store/couplings.js';
import { currentReleasesOf, latestReleasesOf, type ListedRelease } from '../../store/list-facts.js';
import { nextStage, STAGES, type Stage } from '../../pipelines/stages.js';
import { html, type Html } from '../html.js';
import { ago, badge, csrfField, enc, type View, offers } from '../layout.js';
import { shortSha } from '../format.js';

const STAGE_LABELS: Record<Stage, string> = { review: 'Review apps', development: 'Development', qa: 'QA', staging: 'Staging', production: 'Production' };

export interface StageApp { coupling: CouplingWithNames; current?: ListedRelease; latest?: ListedRelease; commit: string | null; next: Stage | null; targets: string[] }

export async function stageApps(ctx: AppContext, p: Pipeline): Promise<StageApp[]> {
  const db = ctx.store.db;
  const couplings = await listCouplings(db, p.id);
  const occupied = new Set(couplings.map((c) => c.stage));
  const ids = couplings.map((c) => c.app_id);
  // The whole board in three queries, however many apps the pipeline has.
  const [currents, latests] = [await currentReleasesOf(db, ids), await latestReleasesOf(db, ids)];
  const byStage = new Map<string, string[]>();
  for (const c of couplings) byStage.set(c.stage, [...(byStage.get(c.stage) ?? []), c.app_name]);
  return couplings.map((c) => {
    const current = currents.get(c.app_id);
    const next = nextStage(c.stage as Stage, occupied);
    return { coupling: c, current, latest: latests.get(c.app_id), commit: current?.slug_commit ?? null, next, targets: next ? byStage.get(next) ?? [] : [] };
  });
}

function appCard(v: View, p: Pipeline, a: StageApp): Html {
  const name = a.coupling.app_name;
  const r = a.current;
  const inFlight = a.latest && a.latest.id !== r?.id && a.latest.status === 'pending' ? a.latest : undefined;
  const failed = a.latest && a.latest.id !== r?.id && a.latest.status === 'failed' ? a.latest : undefined;
  const dialogId = `promote-${name}`;
  return html`<article class="app-card" data-app="${name}">
<h3><a href="/apps/${enc(name)}">${name}</a></h3>
${r ? html`<p class="release"><b data-version>v${r.version}</b> ${badge(r.status)} ${a.commit ? html`<code title="${a.commit}">${shortSha(a.commit)}</code>` : html`<span class="muted">no code yet</span>`} ${ago(r.created_at)}</p>
<p class="muted small">${r.description}</p>` : html`<p class="muted">No release yet</p>`}
${inFlight ? html`<p class="small">${badge('running', `releasing v${inFlight.version}`)} ${inFlight.description}</p>` : ''}
${failed ? html`<p class="small">${badge('failed', `v${failed.version} failed`)} ${failed.message ?? ''}</p>` : ''}
${a.next && r?.slug_id && offers(v, 'deploy') ? html`<button type="button" class="promote" data-open-dialog="${dialogId}">Promote to ${a.next} ▸</button>
<dialog id="${dialogId}"><form method="post" action="/pipelines/${enc(p.name)}/promote">${csrfField(v)}
<input type="hidden" name="app" value="${name}">
<h3>Promote ${name} v${r.version}?</h3>
<p>The same build (${shortSha(a.commit) || 'its slug'}) becomes a new release of ${a.targets.join(', ')} in <b>${a.next}</b>, with their own config vars and release phase.</p>
<div class="actions"><button type="button" class="secondary" data-close-dialog>Cancel</button><button type="submit" data-confirm-promote>Promote to ${a.next}</button></div>
</form></dialog>` : ''}
</article>`;
}

/** The board: every stage gets a column, empty ones say so (as Heroku's do). */
export function stageBoard(v: View, p: Pipeline, apps: StageApp[]): Html {
  return html`<div class="stages">${STAGES.map((stage) => {
    const here = apps.filter((a) => a.coupling.stage === stage);
    return html`<section class="stage" data-stage="${stage}"><h2>${STAGE_LABELS[stage]}</h2>
${here.length ? here.map((a) => appCard(v, p, a)) : html`<p class="muted small empty">No apps in ${stage}.${stage === 'review' ? ' Review apps appear here for pull requests.' : html` Add one with <code>slipway pipelines:add ${p.name} -a APP -s ${stage}</code>.`}</p>`}
</section>`;
  })}</div>`;
}
