import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { inGitRepo, getConfig, setConfig } from '../git.js';
import { printJson, table } from '../format.js';
import { CliError } from '../errors.js';
import { appOption } from '../app-option.js';
import { confirmName } from '../confirm.js';
import type { CouplingJson, DiffJson, LatestReleaseJson, PipelineEventJson, PipelineJson, PromotionJson, PromotionTargetJson, ReviewAppJson } from '../types.js';
import { EXIT } from '../errors.js';
import { green, red, dim, bold } from '../format.js';

const client = () => new ApiClient(loadCredentials());
const STAGE_ORDER = ['review', 'development', 'qa', 'staging', 'production'];

function onOff(v: string, flag: string): boolean {
  if (/^(on|true|yes|1)$/i.test(v)) return true;
  if (/^(off|false|no|0)$/i.test(v)) return false;
  throw new CliError(`${flag} takes on or off (got "${v}").`);
}

/** -p, else the repository's `slipway.pipeline` git config. */
export async function resolvePipeline(flag: string | undefined): Promise<string> {
  if (flag) return flag;
  const fromGit = (await inGitRepo()) ? await getConfig('slipway.pipeline') : undefined;
  if (fromGit) return fromGit;
  throw new CliError('No pipeline given: pass -p PIPELINE, or run `slipway pipelines:create NAME` inside this repository to make it the default.');
}

export function registerPipelines(program: Command): void {
  program.command('pipelines').alias('pipelines:list').description('list pipelines').option('--json', 'output JSON')
    .action(async (o: { json?: boolean }) => {
      const ps = await client().get<PipelineJson[]>('/pipelines');
      if (o.json) return printJson(ps);
      if (!ps.length) return console.log('No pipelines yet. Create one with `slipway pipelines:create NAME`.');
      console.log(table(ps.map((p) => [p.name, p.id, p.created_at]), ['name', 'id', 'created']));
    });

  program.command('pipelines:create <name>').description('create a pipeline (and make it this repository\'s default)')
    .action(async (name: string) => {
      const p = await client().post<PipelineJson>('/pipelines', { name });
      console.log(`Created pipeline ${p.name} (${p.id}).`);
      if ((await inGitRepo()) && !(await getConfig('slipway.pipeline'))) {
        await setConfig('slipway.pipeline', p.name);
        console.log(`This repository now runs its tests on ${p.name} (git config slipway.pipeline).`);
      }
    });

  program.command('pipelines:info [name]').description('show a pipeline: its stages, apps, current releases and automation').option('-p, --pipeline <name>', 'pipeline').option('--json', 'output JSON')
    .action(async (name: string | undefined, o: { pipeline?: string; json?: boolean }) => {
      const api = client();
      const id = encodeURIComponent(await resolvePipeline(name ?? o.pipeline));
      const [p, couplings, releases] = await Promise.all([
        api.get<PipelineJson>(`/pipelines/${id}`), api.get<CouplingJson[]>(`/pipelines/${id}/pipeline-couplings`), api.get<LatestReleaseJson[]>(`/pipelines/${id}/latest-releases`),
      ]);
      if (o.json) return printJson({ ...p, couplings, latest_releases: releases });
      const on = (b: boolean) => (b ? 'on' : 'off');
      console.log(`=== ${p.name}\nid:              ${p.id}\nCI:              ${p.ci_enabled ? `on, branches: ${p.ci_branches ?? 'all'}` : 'off'}\nCI timeout:      ${p.ci_timeout_seconds ? `${p.ci_timeout_seconds} s` : 'server default'}`);
      console.log(`deploy branch:   ${p.deploy_branch} (auto-deploy ${on(p.auto_deploy)}, wait for CI ${on(p.wait_for_ci)})\nauto-promote:    ${on(p.auto_promote)} (development → qa)\nacceptance:      ${p.acceptance_command ?? 'none'}`);
      if (p.repository) console.log(`repository:      ${p.repository.name}${p.repository.status_token_set ? ' (commit statuses on)' : ''}`);
      if (p.review_apps.enabled) console.log(`review apps:     on (autodeploy ${on(p.review_apps.autodeploy)}, autodestroy ${on(p.review_apps.autodestroy)})`);
      const rows = couplings.sort((a, b) => STAGE_ORDER.indexOf(a.stage) - STAGE_ORDER.indexOf(b.stage) || a.app.name.localeCompare(b.app.name)).map((c) => {
        const r = releases.find((x) => x.app.id === c.app.id);
        return [c.stage, c.app.name, r ? `v${r.version}` : '-', r?.slug?.commit?.slice(0, 7) ?? '-', r?.description ?? ''];
      });
      console.log(rows.length ? `\n${table(rows, ['stage', 'app', 'release', 'commit', 'description'])}` : '\nNo apps yet: add one with `slipway pipelines:add PIPELINE -a APP --stage development`.');
      const reviewApps = (await api.get<ReviewAppJson[]>(`/pipelines/${id}/review-apps`)).filter((r) => r.status !== 'deleted');
      if (reviewApps.length) console.log(`\nReview apps:\n${table(reviewApps.map((r) => [`#${r.pr_number}`, r.branch, r.app?.name ?? '-', r.status]), ['pr', 'branch', 'app', 'status'])}`);
    });

  program.command('pipelines:update').description('change a pipeline\'s settings and automation').option('-p, --pipeline <name>', 'pipeline')
    .option('--ci-timeout <seconds>', 'time limit of each test run, in seconds ("default" for the server\'s)')
    .option('--ci <on|off>', 'run a test run for every push')
    .option('--ci-branches <globs>', 'only test these branches: comma-separated globs ("all" for every branch)')
    .option('--deploy-branch <branch>', 'the branch that deploys to the development apps')
    .option('--auto-deploy <on|off>', 'deploy the deploy branch to the development apps on every push to the connected repository')
    .option('--wait-for-ci <on|off>', 'deploy a commit only after its test run passed')
    .option('--auto-promote <on|off>', 'promote development → qa when a development release succeeds')
    .option('--acceptance-command <cmd>', 'run this command as a test run against each new staging release ("none" to stop)')
    .option('--ci-space <space>', 'run test runs inside this private space, so they reach its internal apps ("none" to run them on the host)')
    .action(async (o: { pipeline?: string; ciTimeout?: string; ci?: string; ciBranches?: string; deployBranch?: string; autoDeploy?: string; waitForCi?: string; autoPromote?: string; acceptanceCommand?: string; ciSpace?: string }) => {
      const name = await resolvePipeline(o.pipeline);
      const patch: Record<string, unknown> = {};
      if (o.ciTimeout !== undefined) {
        const seconds = o.ciTimeout === 'default' ? null : Number(o.ciTimeout);
        if (seconds !== null && !(Number.isInteger(seconds) && seconds > 0)) throw new CliError('--ci-timeout takes a whole number of seconds, or "default".');
        patch['ci_timeout_seconds'] = seconds;
      }
      const flags: Array<[string | undefined, string, string]> = [[o.ci, 'ci_enabled', '--ci'], [o.autoDeploy, 'auto_deploy', '--auto-deploy'], [o.waitForCi, 'wait_for_ci', '--wait-for-ci'], [o.autoPromote, 'auto_promote', '--auto-promote']];
      for (const [v, key, flag] of flags) if (v !== undefined) patch[key] = onOff(v, flag);
      if (o.ciBranches !== undefined) patch['ci_branches'] = o.ciBranches === 'all' ? null : o.ciBranches;
      if (o.deployBranch !== undefined) patch['deploy_branch'] = o.deployBranch;
      if (o.acceptanceCommand !== undefined) patch['acceptance_command'] = o.acceptanceCommand === 'none' ? null : o.acceptanceCommand;
      if (o.ciSpace !== undefined) patch['ci_space'] = o.ciSpace === 'none' ? null : o.ciSpace;
      if (!Object.keys(patch).length) throw new CliError('Nothing to update: pass at least one option (see `slipway pipelines:update --help`).');
      const p = await client().patch<PipelineJson>(`/pipelines/${encodeURIComponent(name)}`, patch);
      console.log(`Updated ${p.name}: ${Object.keys(patch).join(', ')}.`);
    });

  appOption(program.command('pipelines:add [pipeline]').description('add an app to a pipeline stage (inferred from the app name\'s suffix when --stage is omitted)'), 'app').option('-s, --stage <stage>', `stage: ${STAGE_ORDER.join(', ')}`)
    .action(async (pipeline: string | undefined, o: { app: string; stage?: string }) => {
      const c = await client().post<CouplingJson>('/pipeline-couplings', { pipeline: await resolvePipeline(pipeline), app: o.app, ...(o.stage ? { stage: o.stage } : {}) });
      console.log(`Added ${c.app.name} to ${c.pipeline.name} pipeline as ${c.stage}.`);
    });

  appOption(program.command('pipelines:remove').description('remove an app from its pipeline'), 'app')
    .action(async (o: { app: string }) => {
      const api = client();
      const c = await api.get<CouplingJson>(`/apps/${encodeURIComponent(o.app)}/pipeline-couplings`);
      await api.delete(`/pipeline-couplings/${c.id}`);
      console.log(`Removed ${c.app.name} from ${c.pipeline.name} pipeline.`);
    });

  appOption(program.command('pipelines:promote').description('copy an app\'s current build to the next stage (or --to apps) as new releases; nothing is rebuilt'), 'source app').option('-t, --to <apps>', 'comma-separated target apps (default: every app of the next stage)')
    .action(async (o: { app: string; to?: string }) => {
      const api = client();
      const c = await api.get<CouplingJson>(`/apps/${encodeURIComponent(o.app)}/pipeline-couplings`);
      const targets = o.to?.split(',').map((t) => t.trim()).filter(Boolean).map((app) => ({ app }));
      const promotion = await api.post<PromotionJson>('/pipeline-promotions', { pipeline: { id: c.pipeline.id }, source: { app: { id: c.app.id } }, ...(targets ? { targets } : {}) });
      let list = await api.get<PromotionTargetJson[]>(`/pipeline-promotions/${promotion.id}/promotion-targets`);
      process.stderr.write(`Promoting ${c.app.name} to ${list.map((t) => t.app.name).join(', ')}...\n`);
      while (list.some((t) => t.status === 'pending')) {
        await new Promise((r) => setTimeout(r, 300));
        list = await api.get<PromotionTargetJson[]>(`/pipeline-promotions/${promotion.id}/promotion-targets`);
      }
      for (const t of list) {
        console.log(t.status === 'succeeded' ? `${green('✓')} ${t.app.name}: released v${t.release?.version}` : `${red('✗')} ${t.app.name}: ${t.status}${t.error_message ? ` — ${t.error_message}` : ''}${t.release ? ` (v${t.release.version}; output: slipway releases:output v${t.release.version} -a ${t.app.name})` : ''}`);
      }
      if (list.some((t) => t.status !== 'succeeded')) process.exitCode = EXIT.failed;
    });

  appOption(program.command('pipelines:diff').description('the commits an app has that the apps of the next stage do not'), 'app').option('--json', 'output JSON')
    .action(async (o: { app: string; json?: boolean }) => {
      const api = client();
      const c = await api.get<CouplingJson>(`/apps/${encodeURIComponent(o.app)}/pipeline-couplings`);
      const d = await api.get<DiffJson>(`/pipelines/${c.pipeline.id}/diff?app=${encodeURIComponent(o.app)}`);
      if (o.json) return printJson(d);
      if (!d.next_stage) return console.log(`${d.app.name} is in ${d.stage}, the last stage with apps: nothing to compare with.`);
      for (const t of d.targets) {
        console.log(bold(`=== ${d.app.name} (${d.stage}) → ${t.app.name} (${t.stage})`));
        if (t.state === 'same') console.log('Everything is up to date.');
        else if (t.state === 'unknown') console.log(`Can't compare: ${t.reason}.`);
        else {
          console.log(`${d.app.name} is ahead of ${t.app.name} by ${t.commits!.length} commit${t.commits!.length === 1 ? '' : 's'}${t.state === 'diverged' ? ` (and ${t.app.name} has commits ${d.app.name} lacks)` : ''}:`);
          for (const m of t.commits!) console.log(`  ${m.sha.slice(0, 7)}  ${m.date.slice(0, 10)}  ${m.message}  ${dim(m.author)}`);
        }
      }
    });

  program.command('pipelines:events').description('what the pipeline did by itself, and why').option('-p, --pipeline <name>', 'pipeline').option('-n, --num <n>', 'how many', '50').option('--json', 'output JSON')
    .action(async (o: { pipeline?: string; num: string; json?: boolean }) => {
      const events = await client().get<PipelineEventJson[]>(`/pipelines/${encodeURIComponent(await resolvePipeline(o.pipeline))}/events?limit=${Number(o.num) || 50}`);
      if (o.json) return printJson(events);
      for (const e of events) console.log(`${dim(e.created_at)} ${e.kind.padEnd(17)} ${e.message}`);
    });

  program.command('pipelines:destroy <name>').description('delete a pipeline and its test runs').option('--confirm <name>', 'repeat the name to confirm')
    .action(async (name: string, o: { confirm?: string }) => {
      await confirmName(name, o.confirm, `This deletes the pipeline ${name} and its test runs.`);
      await client().delete(`/pipelines/${encodeURIComponent(name)}`);
      console.log(`Destroyed pipeline ${name}.`);
    });
}
