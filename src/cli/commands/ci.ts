import type { Command } from 'commander';
import { ApiClient } from '../api-client.js';
import { loadCredentials } from '../context.js';
import { archive, isDirty, resolveCommit } from '../git.js';
import { dim, printJson, statusColour, table } from '../format.js';
import { CliError } from '../errors.js';
import { resolvePipeline } from './pipelines.js';
import { allCases, describeRun, exitFor, getRun, printSummary, streamNode, waitForEnd } from '../ci-follow.js';
import type { AddonJson, TestNodeJson, TestRunJson } from '../types.js';

const client = () => new ApiClient(loadCredentials());
const runNumber = (s: string | undefined): number | 'latest' => {
  if (s === undefined) return 'latest';
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`"${s}" is not a test run number.`);
  return n;
};
const nodeIndex = (s: string | undefined): number => {
  const n = Number(s ?? 0);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`"${s}" is not a node index.`);
  return n;
};

/** Follow a run to its end, print the summary, and set the exit code from its status. */
async function follow(api: ApiClient, run: TestRunJson, node: number, opts: { quiet?: boolean } = {}): Promise<void> {
  if (!opts.quiet) await streamNode(api, run, node);
  const end = await waitForEnd(api, run);
  await printSummary(api, end);
  process.exitCode = exitFor(end);
}

async function showRun(pipelineFlag: string | undefined, number: number | 'latest', o: { node?: string; json?: boolean; watch?: boolean }): Promise<void> {
  const api = client();
  const run = await getRun(api, await resolvePipeline(pipelineFlag), number);
  if (o.json) {
    const [nodes, cases, addons] = await Promise.all([api.get<TestNodeJson[]>(`/test-runs/${run.id}/test-nodes`), allCases(api, run.id), api.get<AddonJson[]>(`/test-runs/${run.id}/addons`)]);
    printJson({ ...run, test_nodes: nodes, test_cases: cases, addons });
    process.exitCode = exitFor(run);
    return;
  }
  console.log(`${describeRun(run)} — ${run.commit_branch ?? dim('(no branch)')} ${run.commit_sha.slice(0, 7)} ${dim(run.commit_message?.split('\n')[0] ?? '')}`);
  for (const a of await api.get<AddonJson[]>(`/test-runs/${run.id}/addons`)) console.log(dim(`add-on ${a.plan.name} → ${a.config_vars.join(', ')} (${a.provider}, ${a.state})`));
  const idx = nodeIndex(o.node);
  if (o.watch || !['succeeded', 'failed', 'errored', 'cancelled'].includes(run.status)) return follow(api, run, idx);
  await streamNode(api, run, idx);
  await printSummary(api, run);
  process.exitCode = exitFor(run);
}

export function registerCi(program: Command): void {
  program.command('ci').description('list recent test runs of a pipeline')
    .option('-p, --pipeline <name>', 'pipeline').option('--branch <branch>', 'only this branch').option('--status <status>', 'only runs with this status')
    .option('-n, --limit <n>', 'how many', '20').option('--json', 'output JSON')
    .action(async (o: { pipeline?: string; branch?: string; status?: string; limit: string; json?: boolean }) => {
      const pipeline = await resolvePipeline(o.pipeline);
      const q = new URLSearchParams({ limit: o.limit, ...(o.branch ? { branch: o.branch } : {}) });
      let runs = await client().get<TestRunJson[]>(`/pipelines/${encodeURIComponent(pipeline)}/test-runs?${q}`);
      if (o.status) runs = runs.filter((r) => r.status === o.status);
      if (o.json) return printJson(runs);
      if (!runs.length) return console.log(`No test runs on ${pipeline} yet. Start one with \`slipway ci:run\`.`);
      console.log(table(runs.map((r) => [`#${r.number}`, statusColour(r.status), r.commit_branch ?? '', r.commit_sha.slice(0, 7),
        `${r.counts.passed}/${r.counts.failed}/${r.counts.skipped}`, r.created_at.replace('T', ' ').slice(0, 19), (r.commit_message ?? '').split('\n')[0]!.slice(0, 50)]),
      ['run', 'status', 'branch', 'commit', 'pass/fail/skip', 'created', 'message']));
    });

  program.command('ci:run').description('run the tests of the current commit (git archive of it) and follow them')
    .option('-p, --pipeline <name>', 'pipeline').option('--ref <ref>', 'git ref to test', 'HEAD')
    .option('--no-cache', 'start without the setup cache of earlier runs').option('--node <index>', 'node whose output to follow', '0')
    .option('--detach', 'start the run and return without following it')
    .action(async (o: { pipeline?: string; ref: string; cache: boolean; node: string; detach?: boolean }) => {
      const pipeline = await resolvePipeline(o.pipeline);
      const api = client();
      const commit = await resolveCommit(o.ref);
      // Side by side: each waits on a process or the server, not on the others.
      const [dirty, tarball, { source_blob }] = await Promise.all([
        o.ref === 'HEAD' ? isDirty() : false, archive(commit.sha), api.post<{ source_blob: { get_url: string; put_url: string } }>('/sources'),
      ]);
      if (dirty) process.stderr.write(dim('Uncommitted changes are not part of the test run: it tests the last commit.\n'));
      await api.put(source_blob.put_url, tarball);
      const run = await api.post<TestRunJson>('/test-runs', {
        pipeline, commit_sha: commit.sha, commit_branch: commit.branch, commit_message: commit.message, source_blob_url: source_blob.get_url, clear_cache: !o.cache,
      });
      process.stderr.write(`Test run #${run.number} of ${pipeline} started: ${commit.branch ?? '(detached)'} ${commit.sha.slice(0, 7)}\n${dim(run.url)}\n`);
      if (o.detach) return;
      await follow(api, run, nodeIndex(o.node));
    });

  program.command('ci:info <number>').description('show a test run: output of a node, results')
    .option('-p, --pipeline <name>', 'pipeline').option('--node <index>', 'node index', '0').option('--watch', 'keep following until the run ends').option('--json', 'output JSON')
    .action(async (n: string, o: { pipeline?: string; node?: string; json?: boolean; watch?: boolean }) => showRun(o.pipeline, runNumber(n), o));

  program.command('ci:last').description('show the latest test run')
    .option('-p, --pipeline <name>', 'pipeline').option('--node <index>', 'node index', '0').option('--watch', 'keep following until the run ends').option('--json', 'output JSON')
    .action(async (o: { pipeline?: string; node?: string; json?: boolean; watch?: boolean }) => showRun(o.pipeline, 'latest', o));

  program.command('ci:rerun [number]').description('run a test run again on the same commit (default: the latest)')
    .option('-p, --pipeline <name>', 'pipeline').option('--no-cache', 'start without the setup cache')
    .action(async (n: string | undefined, o: { pipeline?: string; cache: boolean }) => {
      const api = client();
      const pipeline = await resolvePipeline(o.pipeline);
      const old = await getRun(api, pipeline, runNumber(n));
      const run = await api.post<TestRunJson>('/test-runs', {
        pipeline, commit_sha: old.commit_sha, commit_branch: old.commit_branch, commit_message: old.commit_message, source_blob_url: old.source_blob_url, clear_cache: !o.cache,
      });
      process.stderr.write(`Test run #${run.number} started (re-run of #${old.number}).\n${dim(run.url)}\n`);
      await follow(api, run, 0);
    });

  program.command('ci:cancel <number>').description('cancel a test run that is still going')
    .option('-p, --pipeline <name>', 'pipeline')
    .action(async (n: string, o: { pipeline?: string }) => {
      const api = client();
      const run = await getRun(api, await resolvePipeline(o.pipeline), runNumber(n));
      const r = await api.patch<TestRunJson>(`/test-runs/${run.id}`, { status: 'cancelled' });
      console.log(`Test run #${r.number} ${statusColour(r.status)}.`);
    });

  const configPath = async (p?: string) => `/pipelines/${encodeURIComponent(await resolvePipeline(p))}/stage/test/config-vars`;
  program.command('ci:config').description('show the test-stage config vars (CI secrets)')
    .option('-p, --pipeline <name>', 'pipeline').option('--json', 'output JSON').option('-s, --shell', 'output as KEY=value lines')
    .action(async (o: { pipeline?: string; json?: boolean; shell?: boolean }) => {
      const vars = await client().get<Record<string, string>>(await configPath(o.pipeline));
      if (o.json) return printJson(vars);
      for (const [k, v] of Object.entries(vars)) console.log(o.shell ? `${k}=${v}` : `${k}: ${v}`);
    });
  program.command('ci:config:get <key>').description('print one test-stage config var').option('-p, --pipeline <name>', 'pipeline')
    .action(async (key: string, o: { pipeline?: string }) => {
      const vars = await client().get<Record<string, string>>(await configPath(o.pipeline));
      if (!(key in vars)) { process.exitCode = 1; return; }
      console.log(vars[key]);
    });
  program.command('ci:config:set <pairs...>').description('set test-stage config vars: KEY=value …').option('-p, --pipeline <name>', 'pipeline')
    .action(async (pairs: string[], o: { pipeline?: string }) => {
      const patch: Record<string, string> = {};
      for (const p of pairs) {
        const i = p.indexOf('=');
        if (i < 1) throw new CliError(`"${p}" is not KEY=value.`);
        patch[p.slice(0, i)] = p.slice(i + 1);
      }
      await client().patch(await configPath(o.pipeline), patch);
      console.log(`Set ${Object.keys(patch).join(', ')} for test runs.`);
    });
  program.command('ci:config:unset <keys...>').description('remove test-stage config vars').option('-p, --pipeline <name>', 'pipeline')
    .action(async (keys: string[], o: { pipeline?: string }) => {
      await client().patch(await configPath(o.pipeline), Object.fromEntries(keys.map((k) => [k, null])));
      console.log(`Unset ${keys.join(', ')}.`);
    });
}
