import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { inGitRepo, getConfig, setConfig } from '../git.js';
import { printJson, table } from '../format.js';
import { CliError } from '../errors.js';
import type { PipelineJson } from '../types.js';

const client = () => new ApiClient(loadCredentials());

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

  program.command('pipelines:info [name]').description('show a pipeline').option('-p, --pipeline <name>', 'pipeline').option('--json', 'output JSON')
    .action(async (name: string | undefined, o: { pipeline?: string; json?: boolean }) => {
      const p = await client().get<PipelineJson>(`/pipelines/${encodeURIComponent(await resolvePipeline(name ?? o.pipeline))}`);
      if (o.json) return printJson(p);
      console.log(`=== ${p.name}\nid:          ${p.id}\ncreated:     ${p.created_at}\nCI timeout:  ${p.ci_timeout_seconds ? `${p.ci_timeout_seconds} s` : 'server default'}`);
    });

  program.command('pipelines:update').description('change a pipeline\'s settings').option('-p, --pipeline <name>', 'pipeline')
    .option('--ci-timeout <seconds>', 'time limit of each test run, in seconds ("default" for the server\'s)')
    .action(async (o: { pipeline?: string; ciTimeout?: string }) => {
      const name = await resolvePipeline(o.pipeline);
      if (o.ciTimeout === undefined) throw new CliError('Nothing to update: pass --ci-timeout SECONDS.');
      const seconds = o.ciTimeout === 'default' ? null : Number(o.ciTimeout);
      if (seconds !== null && !(Number.isInteger(seconds) && seconds > 0)) throw new CliError('--ci-timeout takes a whole number of seconds, or "default".');
      const p = await client().patch<PipelineJson>(`/pipelines/${encodeURIComponent(name)}`, { ci_timeout_seconds: seconds });
      console.log(`Test runs of ${p.name} now time out after ${p.ci_timeout_seconds ? `${p.ci_timeout_seconds} s` : 'the server default'}.`);
    });

  program.command('pipelines:destroy <name>').description('delete a pipeline and its test runs').requiredOption('--confirm <name>', 'repeat the name to confirm')
    .action(async (name: string, o: { confirm: string }) => {
      if (o.confirm !== name) throw new CliError(`Confirmation "${o.confirm}" does not match "${name}".`);
      await client().delete(`/pipelines/${encodeURIComponent(name)}`);
      console.log(`Destroyed pipeline ${name}.`);
    });
}
