// Connecting a pipeline to its repository on GitHub, GitLab or Gitea/Forgejo (webhooks in, commit
// statuses out), and the pipeline's review apps.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { printJson, table, bold } from '../format.js';
import { CliError } from '../errors.js';
import type { PipelineJson, ReviewAppJson } from '../types.js';
import { resolvePipeline } from './pipelines.js';

const client = () => new ApiClient(loadCredentials());

// What each host calls the webhook's fields, to print instructions a user can follow on its page.
const PROVIDERS: Record<string, { title: string; where: string; urlLabel: string; secretLabel: string; events: string; api: string }> = {
  github: { title: 'GitHub', where: 'Settings → Webhooks → Add webhook', urlLabel: 'Payload URL:', secretLabel: 'Secret', events: 'pushes and pull requests', api: 'https://api.github.com' },
  gitlab: { title: 'GitLab', where: 'Settings → Webhooks → Add new webhook', urlLabel: 'URL:', secretLabel: 'Secret token', events: 'push events and merge request events', api: 'https://gitlab.com/api/v4' },
  gitea: { title: 'Gitea/Forgejo', where: 'Settings → Webhooks → Add webhook → Gitea (or Forgejo)', urlLabel: 'Target URL:', secretLabel: 'Secret', events: 'push and pull request events', api: '--status-api-url' },
};

export function registerGithub(program: Command): void {
  program.command('pipelines:connect [name]').description('connect a pipeline to a GitHub, GitLab or Gitea/Forgejo repository: its webhooks build and test, its commits get statuses')
    .option('-p, --pipeline <name>', 'pipeline').requiredOption('-r, --repo <owner/repo>', 'the repository, as OWNER/REPO (GitLab: GROUP/SUBGROUP/PROJECT)')
    .option('--provider <host>', 'the git host: github, gitlab or gitea (Forgejo too)', 'github')
    .option('--clone-url <url>', 'fetch commits from here instead of the clone URL in each webhook')
    .option('--secret <secret>', 'the webhook secret (default: a new random one, printed once)')
    .option('--status-token <token>', 'a token allowed to set commit statuses (without one, no statuses are sent)')
    .option('--status-api-url <url>', 'the host\'s API base URL for commit statuses (default https://api.github.com, GitLab https://gitlab.com/api/v4; Gitea: https://HOST/api/v1)')
    .action(async (name: string | undefined, o: { pipeline?: string; repo: string; provider: string; cloneUrl?: string; secret?: string; statusToken?: string; statusApiUrl?: string }) => {
      const host = PROVIDERS[o.provider];
      if (!host) throw new CliError(`--provider takes github, gitlab or gitea (got "${o.provider}"); Forgejo is gitea.`);
      if (!/^[\w.-]+(\/[\w.-]+)+$/.test(o.repo)) throw new CliError(`--repo takes OWNER/REPO (got "${o.repo}").`);
      const pipeline = await resolvePipeline(name ?? o.pipeline);
      const secret = o.secret ?? randomBytes(24).toString('hex');
      const api = client();
      const p = await api.patch<PipelineJson>(`/pipelines/${encodeURIComponent(pipeline)}`, {
        repo: o.repo, repo_provider: o.provider, webhook_secret: secret,
        ...(o.cloneUrl !== undefined ? { repo_clone_url: o.cloneUrl } : {}),
        ...(o.statusToken !== undefined ? { status_token: o.statusToken } : {}),
        ...(o.statusApiUrl !== undefined ? { status_api_url: o.statusApiUrl } : {}),
      });
      console.log(`Connected pipeline ${p.name} to ${o.repo} on ${host.title}.`);
      console.log(`\nAdd a webhook to ${o.repo} (${host.where}):`);
      console.log(`  ${host.urlLabel.padEnd(14)} ${api.creds.url}/hooks/${o.provider}`);
      if (o.provider !== 'gitlab') console.log('  Content type:  application/json');
      const label = `${host.secretLabel}:`.padEnd(15);
      if (!o.secret) console.log(`  ${label}${secret}    ${bold('(shown only now)')}`);
      else console.log(`  ${label}the one you passed with --secret`);
      console.log(`  ${'Events:'.padEnd(15)}${host.events}`);
      console.log(p.repository?.status_token_set ? `Commit statuses go to ${p.repository.status_api_url ?? host.api}.` : 'No --status-token: commits get no statuses.');
    });

  program.command('pipelines:disconnect [name]').description('disconnect a pipeline from its repository (webhooks are refused, statuses stop)').option('-p, --pipeline <name>', 'pipeline')
    .action(async (name: string | undefined, o: { pipeline?: string }) => {
      const pipeline = await resolvePipeline(name ?? o.pipeline);
      const before = await client().get<PipelineJson>(`/pipelines/${encodeURIComponent(pipeline)}`);
      if (!before.repository) throw new CliError(`Pipeline ${before.name} is not connected to a repository.`);
      await client().patch(`/pipelines/${encodeURIComponent(pipeline)}`, { repo: null, repo_provider: null, repo_clone_url: null, webhook_secret: null, status_token: null, status_api_url: null, review_apps: false });
      console.log(`Disconnected ${before.name} from ${before.repository.name}; remove the webhook on the host too.`);
    });

  program.command('reviewapps:enable').description('create a review app for each pull request opened on the connected repository')
    .option('-p, --pipeline <name>', 'pipeline').option('--autodeploy', 'rebuild a review app on each new commit of its pull request')
    .option('--autodestroy', 'destroy review apps that had no new release for --stale-days days (closing a pull request always destroys its app)')
    .option('--stale-days <n>', 'days without a new release before --autodestroy removes a review app (1-30)', '5')
    .action(async (o: { pipeline?: string; autodeploy?: boolean; autodestroy?: boolean; staleDays: string }) => {
      const pipeline = await resolvePipeline(o.pipeline);
      const days = Number(o.staleDays);
      if (!Number.isInteger(days) || days < 1 || days > 30) throw new CliError(`--stale-days takes a whole number of days from 1 to 30, not "${o.staleDays}".`);
      const p = await client().patch<PipelineJson>(`/pipelines/${encodeURIComponent(pipeline)}`, { review_apps: true, review_autodeploy: !!o.autodeploy, review_autodestroy: !!o.autodestroy, review_stale_days: days });
      console.log(`Review apps on for ${p.name} (autodeploy ${o.autodeploy ? 'on' : 'off'}, autodestroy ${o.autodestroy ? `after ${days} stale day(s)` : 'off'}).`);
      if (!p.repository) console.log('The pipeline has no repository yet: connect one with `slipway pipelines:connect`.');
    });

  program.command('reviewapps:disable').description('stop creating review apps (existing ones stay)').option('-p, --pipeline <name>', 'pipeline')
    .action(async (o: { pipeline?: string }) => {
      const p = await client().patch<PipelineJson>(`/pipelines/${encodeURIComponent(await resolvePipeline(o.pipeline))}`, { review_apps: false, review_autodeploy: false, review_autodestroy: false });
      console.log(`Review apps off for ${p.name}.`);
    });

  program.command('reviewapps').description('a pipeline\'s review apps').option('-p, --pipeline <name>', 'pipeline').option('--json', 'output JSON')
    .action(async (o: { pipeline?: string; json?: boolean }) => {
      const list = await client().get<ReviewAppJson[]>(`/pipelines/${encodeURIComponent(await resolvePipeline(o.pipeline))}/review-apps`);
      if (o.json) return printJson(list);
      if (!list.length) return console.log('No review apps yet.');
      console.log(table(list.map((r) => [`#${r.pr_number}`, r.branch, r.app?.name ?? '-', r.status, r.message ?? '']), ['pr', 'branch', 'app', 'status', 'message']));
    });
}
