// The flow's edges survive a crash (issue "The flow's edges happen exactly once"): the real server
// is SIGKILLed right after a test run ended, a build ended and releases settled, each time before
// what follows ran (SLIPWAY_TEST_CRASH_AFTER, a test-only setting). After each restart the
// follow-up happens, and once: the waiting deploy is built once, the commit status is sent once,
// the release starts once, the auto-promotion and the acceptance run happen once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, cli, api, gitPush, type TestServer } from '../helpers/server.js';
import { randomUUID } from 'node:crypto';
import { git, repoWithBuildpack } from '../helpers/apps.js';
import { serveGitRepo } from '../helpers/git-http.js';
import { signBody } from '../../src/integrations/github-signature.js';
import { waitFor } from '../helpers/runs.js';

interface EventJson { kind: string; message: string }
interface RunJson { id: string; number: number; status: string; kind: string }
interface ReleaseJson { version: number; status: string; current: boolean; description: string }

const P = 'edges-crash';
const [DEV, QA, STG] = ['edges-crash-dev', 'edges-crash-qa', 'edges-crash-stg'];
const statuses: Array<{ state: string }> = [];
const receiver = http.createServer((req, res) => {
  let text = '';
  req.on('data', (c) => { text += c; });
  req.on('end', () => { statuses.push(JSON.parse(text) as { state: string }); res.writeHead(201, { 'content-type': 'application/json' }).end('{}'); });
});
let s: TestServer | undefined;
const outputs: string[] = [];
after(async () => { await s?.stop(); receiver.closeAllConnections(); await new Promise((r) => receiver.close(r)); });

/** Wait for the server to kill itself at its crash point, then start it again on the same data. */
async function restartAfterCrash(crashAfter?: string): Promise<TestServer> {
  const old = s!;
  outputs.push(old.output());
  await waitFor(`the server to crash (${old.env['SLIPWAY_TEST_CRASH_AFTER']})`, async () => old.proc.signalCode === 'SIGKILL', 120_000).catch(async (e: Error) => {
    const log = (await api<EventJson[]>(old, 'GET', `/pipelines/${P}/events`)).json.map((x) => x.message).join('\n');
    throw new Error(`${e.message}\npipeline events:\n${log}\nservers' output:\n${[...outputs, old.output()].join('\n---\n')}`);
  });
  try {
    s = await startServer(crashAfter ? { SLIPWAY_TEST_CRASH_AFTER: crashAfter } : {}, old.dataDir);
  } catch (e) {
    // The follow-up the restart runs may reach the next crash point before start-up has finished.
    if (!crashAfter || !/^server exited/.test((e as Error).message)) throw e;
    outputs.push((e as Error).message);
  }
  return s!;
}

test('a crash right after each settle: the follow-ups (deploy, commit status, release, auto-promote, acceptance run) happen after the restart, exactly once', { timeout: 600_000 }, async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const repo = repoWithBuildpack({ environments: { test: { scripts: { test: 'echo tests passed' } } } }, 'echo compiled');
  s = await startServer({ SLIPWAY_TEST_CRASH_AFTER: 'test-run-ended' });
  const statusApi = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  for (const args of [['pipelines:create', P], ['apps:create', DEV], ['apps:create', QA], ['apps:create', STG], ['pipelines:add', P, '-a', DEV],
    ['pipelines:add', P, '-a', QA, '-s', 'qa'], ['pipelines:add', P, '-a', STG, '-s', 'staging'],
    ['pipelines:update', '-p', P, '--wait-for-ci', 'on', '--auto-promote', 'on', '--acceptance-command', 'echo accepted'],
    ['pipelines:connect', P, '--repo', 'acme/edges', '--clone-url', `${statusApi}/acme/edges.git`, '--status-token', 'status-token-1', '--status-api-url', statusApi],
    ['git:remote', '-a', DEV]]) {
    const r = await cli(s, args, { cwd: repo });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  // 1. The test run ends; the server dies before the deploy waiting for it or its status go out.
  void gitPush(s, repo, ['slipway', 'main']);
  s = await restartAfterCrash(`build-ended:${DEV}`);
  // 2. The deploy is built after the restart; the server dies as the build ends, before its release starts.
  s = await restartAfterCrash(`release-settled:${DEV}`);
  // 3. The release went out; the server dies before the deploy is marked done and qa is auto-promoted.
  s = await restartAfterCrash(`release-settled:${STG}`);
  const events = async () => (await api<EventJson[]>(s!, 'GET', `/pipelines/${P}/events`)).json;
  const current = async (app: string) => (await api<ReleaseJson[]>(s!, 'GET', `/apps/${app}/releases`)).json.find((r) => r.current);
  await waitFor('qa to be auto-promoted', async () => (await current(QA))?.description.startsWith('Promote'), 60_000);
  // 4. Promoted to staging; the server dies before the acceptance run starts.
  void cli(s, ['pipelines:promote', '-a', QA]);
  s = await restartAfterCrash();
  const acceptance = async () => (await api<RunJson[]>(s!, 'GET', `/pipelines/${P}/test-runs`)).json.filter((r) => r.kind === 'acceptance');
  await waitFor('the acceptance run to start', async () => (await acceptance()).length > 0, 60_000);
  await waitFor('the commit\'s success status', async () => statuses.some((x) => x.state === 'success'), 60_000);
  // Anything that would happen twice has had time to.
  await new Promise((r) => setTimeout(r, 4000));

  const log = await events();
  const count = (re: RegExp) => log.filter((e) => re.test(e.message)).length;
  assert.equal(count(/^Test run #1 passed: deploying/), 1, 'the waiting deploy started once');
  assert.equal((await api<unknown[]>(s, 'GET', `/apps/${DEV}/builds`)).json.length, 1, 'one build');
  assert.deepEqual(statuses.map((x) => x.state).filter((x) => x === 'success'), ['success'], 'the success status was sent once');
  const devReleases = (await api<ReleaseJson[]>(s, 'GET', `/apps/${DEV}/releases`)).json;
  assert.deepEqual(devReleases.map((r) => `v${r.version}:${r.status}`).sort(), ['v1:succeeded', 'v2:succeeded'], 'the built slug was released once');
  assert.equal(count(/^Auto-promoted after/), 1, 'qa was auto-promoted once');
  assert.equal((await api<ReleaseJson[]>(s, 'GET', `/apps/${QA}/releases`)).json.length, 2, 'qa got one release');
  assert.equal((await acceptance()).length, 1, 'one acceptance run');
  assert.equal(count(/acceptance run #\d+ started/), 1);
});

test('a crash right after a review app\'s first release settled: postdeploy runs after the restart, exactly once', { timeout: 300_000 }, async () => {
  const RA = 'edges-ra';
  const repo = repoWithBuildpack({ scripts: { postdeploy: 'echo seeding the review app' } }, 'echo compiled');
  const origin = await serveGitRepo(repo, 'edges-ra');
  await s?.stop(); // the server of the test before
  outputs.length = 0;
  try {
    s = await startServer({ SLIPWAY_TEST_CRASH_AFTER: `release-settled:${RA}-pr-3` });
    assert.equal((await cli(s, ['pipelines:create', RA])).code, 0);
    const connect = await cli(s, ['pipelines:connect', RA, '--repo', 'acme/edges-ra', '--clone-url', origin.url]);
    assert.equal(connect.code, 0, connect.stderr);
    const secret = /Secret:\s+([0-9a-f]{48})/.exec(connect.stdout)![1]!;
    assert.equal((await cli(s, ['reviewapps:enable', '-p', RA])).code, 0);
    const repository = { full_name: 'acme/edges-ra', clone_url: origin.url };
    const body = JSON.stringify({ action: 'opened', number: 3, repository, pull_request: { title: 'three', head: { ref: 'main', sha: git(repo, 'rev-parse', 'HEAD'), repo: repository } } });
    const res = await fetch(`${s.url}/hooks/github`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signBody(secret, body) },
    });
    assert.ok(res.status < 300, `delivery answered ${res.status}: ${await res.text()}`);
    s = await restartAfterCrash();
    const events = async () => (await api<EventJson[]>(s!, 'GET', `/pipelines/${RA}/events`)).json;
    await waitFor('postdeploy to run', async () => (await events()).some((e) => /postdeploy exited/.test(e.message)), 120_000);
    await new Promise((r) => setTimeout(r, 4000));
    const ran = (await events()).filter((e) => /postdeploy exited/.test(e.message));
    assert.equal(ran.length, 1, 'postdeploy ran once');
    assert.match(ran[0]!.message, /postdeploy exited 0: .*seeding the review app/);
  } finally {
    await origin.close();
  }
});
