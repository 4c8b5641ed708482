// One-off dynos on a remote agent (a simulated host: its own network namespace, data dir and
// address), the server running nothing itself: `slipway run` attached (input relayed to the agent
// and echoed back, $DYNO, the exit code passed through), `run --detached` (output in `logs`, its
// process a child of the agent on its host, not of the server, and it outlives a server restart),
// no room → a clear error. Attack: a one-off's input stream opens only for the agent process
// holding its job (another agent's token, another process of the same agent, a forged token: refused).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer, cli, api, BIN, TOKEN, type TestServer } from '../helpers/server.js';
import { repoWithBuildpack } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { simulatedHosts, startAgent, type AgentProcess } from '../helpers/agent-hosts.js';
import { needs } from '../helpers/tools.js';
import { findMarkedProcesses } from '../../src/sandbox/process-tree.js';

const skip = needs('spaces');
const A = 'oneoffs';
let s: TestServer;
let net: ReturnType<typeof simulatedHosts>;
let agent: AgentProcess;
let serverUrl: string;
let otherToken: string;
let agentToken: string;

before(async () => {
  if (skip) return;
  net = simulatedHosts(1, 5);
  // A lease longer than the server's restart takes: the agent's one-off is still its own when the server is back.
  s = await startServer({ SLIPWAY_HOST: '0.0.0.0', SLIPWAY_EMBEDDED_RUNNER: 'off', SLIPWAY_JOB_LEASE_SECONDS: '30' });
  serverUrl = `http://${net.serverIp}:${new URL(s.url).port}`;
  const token = async (name: string) => {
    const created = await cli(s, ['agents:create', name]);
    assert.equal(created.code, 0, created.stderr);
    return /(slpa_[\w-]+)/.exec(created.stdout)![1]!;
  };
  agentToken = await token('far');
  otherToken = await token('other');
  agent = startAgent(net.hosts[0]!, serverUrl, agentToken, { slots: 1, env: { SLIPWAY_AGENT_MEMORY_MB: '1024' } });
  await waitFor('the agent online', async () => (await api<Array<{ name: string; state: string }>>(s, 'GET', '/agents')).json.some((a) => a.name === 'far' && a.state === 'online'), 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${agent.output()}`); });
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: repoWithBuildpack({}, 'echo "from the slug" > "$1/marker.txt"'), timeoutMs: 240_000 });
  assert.equal(b.code, 0, `${b.stdout}${b.stderr}\n${agent.output()}`);
});

after(async () => {
  const steps = [async () => { await agent?.stop(); if (agent) fs.rmSync(agent.dataDir, { recursive: true, force: true }); }, async () => s?.stop(), async () => net?.close()];
  const failed: string[] = [];
  for (const step of steps) await step().catch((e: Error) => failed.push(e.message));
  assert.deepEqual(failed, [], 'everything cleaned up');
});

const outputs = () => `${s.output().slice(-4000)}\n--- agent\n${agent.output().slice(-4000)}`;
const cliEnv = () => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_URL: s.url, SLIPWAY_TOKEN: TOKEN, SLIPWAY_CONFIG_DIR: '/nonexistent-slipway-config' });

/** `slipway run` with `input` piped to it, as a user pipes a file in. */
function runWithInput(args: string[], input: string, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'run', '-a', A, ...args], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`slipway run timed out\n${stdout}${stderr}\n${outputs()}`)); }, timeoutMs);
    p.once('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
    p.stdin.end(input);
  });
}

/** The app's one-off rows with the agent each runs on. */
const rows = async () => (await api<Array<{ name: string; type: string; state: string; exit_code: number | null }>>(s, 'GET', `/apps/${A}/dynos`)).json.filter((d) => d.type === 'run');

/** The process ids from `pid` up to init. */
function ancestry(pid: number): number[] {
  const chain: number[] = [];
  for (let p = pid; p > 1;) {
    chain.push(p);
    const m = /^PPid:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
    p = m ? Number(m[1]) : 0;
  }
  return chain;
}

test('slipway run on an agent: input relayed there and echoed back, $DYNO, the slug, the exit code passed through', { skip, timeout: 180_000 }, async () => {
  const r = await runWithInput(['echo "$DYNO $(cat marker.txt)"; cat; exit 3'], 'hello from my stdin\nsecond line\n');
  assert.equal(r.code, 3, `${r.stdout}${r.stderr}\n${outputs()}`);
  assert.match(r.stdout, /^run\.\d+ from the slug\nhello from my stdin\nsecond line\n$/);
  assert.match(agent.output(), /job \S+: one-off/, 'the agent ran it');
  assert.deepEqual((await rows()).filter((d) => d.state !== 'down'), [], 'nothing left running');
});

test('run --detached on an agent: its process is the agent\'s child on its host, its output in logs, and it outlives a server restart', { skip, timeout: 240_000 }, async () => {
  const r = await cli(s, ['run', '--detached', '-a', A, 'echo "started $DYNO"; sleep 17.25; echo "finished $DYNO"; exit 4']);
  assert.equal(r.code, 0, r.stderr);
  const name = /as (run\.\d+)/.exec(r.stdout)![1]!;
  await waitFor('its first line in the log', async () => (await cli(s, ['logs', '-a', A, '-n', '200'])).stdout.includes(`app[${name}]: started ${name}`), 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  // Its process: under the agent's process on the simulated host (its network namespace), not under the server.
  const pid = await waitFor('its process', async () => {
    const found = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).find((p) => { try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ').trim() === 'sleep 17.25'; } catch { return false; } });
    return found ? Number(found) : undefined;
  }, 10_000);
  const chain = ancestry(pid);
  assert.ok(chain.includes(agent.proc.pid!), `the agent (${agent.proc.pid}) is an ancestor of the one-off: ${chain.join(' <- ')}`);
  assert.ok(!chain.includes(s.proc.pid!), 'the server is not');
  assert.equal(fs.statSync(`/proc/${agent.proc.pid}/ns/net`).ino, fs.statSync(`/run/netns/${net.hosts[0]!.ns}`).ino, 'that agent lives on the simulated host');
  assert.notEqual(fs.statSync(`/proc/${pid}/ns/net`).ino, fs.statSync(`/proc/${s.proc.pid}/ns/net`).ino, 'the one-off is not on the server\'s network');
  // The server is killed and restarted while it runs; it goes on, and its end is recorded.
  await s.kill();
  s = await startServer({ ...s.env }, s.dataDir);
  const done = await waitFor('its end in the log', async () => {
    const log = (await cli(s, ['logs', '-a', A, '-n', '200'])).stdout;
    return log.includes(`heroku[${name}]: Process exited with status 4`) ? log : undefined;
  }, 90_000).catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  assert.match(done, new RegExp(`app\\[${name.replace('.', '\\.')}\\]: started ${name.replace('.', '\\.')}[\\s\\S]*app\\[${name.replace('.', '\\.')}\\]: finished ${name.replace('.', '\\.')}`));
  const dyno = (await api<{ state: string; exit_code: number | null }>(s, 'GET', `/apps/${A}/dynos/${name}`)).json;
  assert.deepEqual([dyno.state, dyno.exit_code], ['down', 4]);
});

test('no agent with room for the size: a clear error at once, not a wait', { skip, timeout: 60_000 }, async () => {
  const t = Date.now();
  const r = await cli(s, ['run', '--size', 'performance-m', '-a', A, 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No agent has room for a performance-m one-off dyno.*\(one_off_no_room\)/);
  assert.ok(Date.now() - t < 15_000);
});

test('a one-off\'s input stream opens only for the agent process that holds its job', { skip, timeout: 120_000 }, async () => {
  // An attached one-off that waits for its (absent) client's input.
  const started = await api<{ id: string; name: string }>(s, 'POST', `/apps/${A}/dynos`, { command: 'cat; echo after-input', attach: true });
  assert.equal(started.status, 201);
  await waitFor('it up on the agent', async () => (await rows()).some((d) => d.name === started.json.name && d.state === 'up'), 60_000)
    .catch(async (e: Error) => { throw new Error(`${e.message}\n${JSON.stringify(await rows())}\n${outputs()}`); });
  // Its job: the last one-off the agent took (its log names each job it takes).
  const job = [...agent.output().matchAll(/job (\S+): one-off/g)].map((x) => x[1]!).pop()!;
  const input = (token: string, instance = 'attacker') => fetch(`${s.url}/agent/v1/jobs/${job}/input`, { headers: { authorization: `Bearer ${token}`, 'x-slipway-agent-instance': instance }, signal: AbortSignal.timeout(10_000) });
  const other = await input(otherToken);
  assert.equal(other.status, 409, 'another agent\'s token');
  assert.equal((await other.json() as { id: string }).id, 'agent_lease_lost');
  const sameAgentOtherProcess = await input(agentToken);
  assert.equal(sameAgentOtherProcess.status, 409, 'the same agent\'s token from another process');
  assert.equal((await input('slpa_forged-token-000000000000000000000')).status, 401, 'a forged token');
  assert.equal((await input(TOKEN)).status, 401, 'an API token');
  // A user who may only view the app cannot type into its one-off either.
  const viewer = 'viewer@oneoffs.test';
  const made = await cli(s, ['users:create', viewer]);
  assert.equal(made.code, 0, made.stderr);
  assert.equal((await cli(s, ['access:add', viewer, '-a', A, '-p', 'view'])).code, 0);
  const signIn = await fetch(`${s.url}/oauth/authorizations`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${viewer}:${/Password[^\n]*\n\n\s+(\S+)/.exec(made.stdout)![1]!}`).toString('base64')}`, 'content-type': 'application/json' }, body: '{}' });
  const viewerToken = ((await signIn.json()) as { access_token: { token: string } }).access_token.token;
  const typed = await fetch(`${s.url}/apps/${A}/dynos/${started.json.id}/input`, { method: 'POST', headers: { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/octet-stream' }, body: 'rm -rf /\n' });
  assert.equal(typed.status, 403, 'a viewer');
  // The one-off is untouched: its (late) client still reaches it, and it ends when the input does.
  const out = await fetch(`${s.url}/apps/${A}/dynos/${started.json.id}/attach`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.match(await out.text(), /after-input/);
  await waitFor('it down', async () => (await rows()).every((d) => d.state === 'down'), 30_000);
});

/** The one-off records the agent keeps in its data folder (detached one-offs it runs). */
const oneOffRecords = () => {
  const dir = path.join(agent.dataDir, 'one-offs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
};
/** The one-off's own shell, or the sleep it ends with (its command line holds `text`), inside its sandbox (not the launchers around it). */
const loopOf = (id: string, text = 'stop-now') => findMarkedProcesses((m) => m === id).find((p) => { try { const c = fs.readFileSync(`/proc/${p}/cmdline`, 'latin1'); return /^(bash|sleep)\0/.test(c) && c.replace(/\0/g, ' ').includes(text); } catch { return false; } });
const startTimeOf = (pid: number) => { try { return fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[19]; } catch { return undefined; } };
/** What a killed agent's one-off leaves on its host: its processes, its workspace. */
const leftOf = (id: string) => ({ processes: findMarkedProcesses((m) => m === id), workspace: fs.existsSync(path.join(agent.dataDir, 'workspaces', id)), records: oneOffRecords().length });
const restartAgent = async () => {
  await agent.kill();
  agent = startAgent(net.hosts[0]!, serverUrl, agentToken, { slots: 1, dataDir: agent.dataDir, env: { SLIPWAY_AGENT_MEMORY_MB: '1024' } });
};

test('the agent SIGKILLed under a detached one-off: the next process resumes it (the same process), every line reaches logs once and in order, its end is recorded once', { skip, timeout: 180_000 }, async () => {
  // A line every 100 ms until the test says stop (a file in its home), then a file written at its end.
  // Heroku's `run:detached`, as `run --detached`.
  const r = await cli(s, ['run:detached', '-a', A, 'i=0; while [ ! -e stop-now ] && [ $i -lt 3000 ]; do i=$((i+1)); echo "line $i"; sleep 0.1; done; echo "finished after $i" > end.txt; echo "end file: $(cat end.txt)"']);
  assert.equal(r.code, 0, r.stderr);
  const name = /as (run\.\d+)/.exec(r.stdout)![1]!;
  assert.match(r.stdout, new RegExp(`; see \`slipway logs -a ${A} --dyno ${name.replace('.', '\\.')}\`[.]`));
  const log = async () => (await cli(s, ['logs', '-a', A, '-n', '1500'])).stdout;
  await waitFor('its fifth line in the log', async () => (await log()).includes(`app[${name}]: line 5\n`), 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  const id = (await api<{ id: string }>(s, 'GET', `/apps/${A}/dynos/${name}`)).json.id;
  const shell = loopOf(id);
  assert.ok(shell, `its shell runs on the agent's host: ${findMarkedProcesses((m) => m === id).join(' ')}`);
  const startTime = startTimeOf(shell);
  await restartAgent();
  await waitFor('the new agent process resumed it', async () => /: one-off resumed \(process \d+,/.test(agent.output()), 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  assert.equal(startTimeOf(shell), startTime, 'the same process runs: resumed, not restarted');
  const before = (await log()).split('\n').filter((l) => l.includes(`app[${name}]: line `)).length;
  await waitFor('lines sent by the new agent process', async () => (await log()).split('\n').filter((l) => l.includes(`app[${name}]: line `)).length > before + 5, 30_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  // Stop it: it writes its file and ends with 0.
  fs.writeFileSync(path.join(agent.dataDir, 'workspaces', id, 'app', 'stop-now'), '');
  const done = await waitFor('its end in the log', async () => {
    const l = await log();
    return l.includes(`heroku[${name}]: Process exited with status 0`) ? l : undefined;
  }, 60_000).catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  const lines = done.split('\n').filter((l) => l.includes(`app[${name}]: `)).map((l) => l.slice(l.indexOf(`app[${name}]: `) + `app[${name}]: `.length));
  const n = Number(/^end file: finished after (\d+)$/.exec(lines[lines.length - 1] ?? '')?.[1]);
  assert.ok(n > 5, `the file written at its end, in its last line: ${lines.slice(-3).join(' | ')}`);
  assert.deepEqual(lines, [...Array.from({ length: n }, (_, k) => `line ${k + 1}`), `end file: finished after ${n}`], 'every line once, in order, none missing');
  assert.equal(done.split(`heroku[${name}]: Process exited`).length - 1, 1, 'its end recorded once');
  assert.doesNotMatch(done, new RegExp(`heroku\\[${name.replace('.', '\\.')}\\]: Process lost`));
  const dyno = (await api<{ state: string; exit_code: number | null }>(s, 'GET', `/apps/${A}/dynos/${name}`)).json;
  assert.deepEqual([dyno.state, dyno.exit_code], ['down', 0]);
  await waitFor('nothing of it left on the agent', async () => { const x = leftOf(id); return !x.processes.length && !x.workspace && !x.records; }, 15_000)
    .catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(leftOf(id))}\n${outputs()}`); });
  console.log(`one-off resumed across the agent's SIGKILL: ${n} lines, each once`);
});

test('the agent gone longer than the lease: the server ends its one-off as lost, and the next agent process stops that process', { skip, timeout: 180_000 }, async () => {
  // A short lease (the server restarted with it; the agent renews with what the server says).
  await s.kill();
  s = await startServer({ ...s.env, SLIPWAY_JOB_LEASE_SECONDS: '3' }, s.dataDir);
  const r = await cli(s, ['run', '--detached', '-a', A, 'echo "doomed $DYNO"; sleep 29.75']);
  assert.equal(r.code, 0, r.stderr);
  const name = /as (run\.\d+)/.exec(r.stdout)![1]!;
  await waitFor('it up', async () => (await rows()).some((d) => d.name === name && d.state === 'up'), 60_000)
    .catch(async (e: Error) => { throw new Error(`${e.message}\n${JSON.stringify((await api(s, 'GET', `/apps/${A}/dynos/${name}`)).json)}\n${(await cli(s, ['logs', '-a', A, '-n', '100'])).stdout}\n${outputs()}`); });
  const id = (await api<{ id: string }>(s, 'GET', `/apps/${A}/dynos/${name}`)).json.id;
  const shell = await waitFor('its shell', async () => loopOf(id, 'sleep 29.75'), 15_000);
  const startTime = startTimeOf(shell);
  await agent.kill();
  await waitFor('the one-off lost', async () => (await cli(s, ['logs', '-a', A, '-n', '300'])).stdout.includes(`heroku[${name}]: Process lost`), 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  assert.equal(startTimeOf(shell), startTime, 'its process ran on while no agent did');
  agent = startAgent(net.hosts[0]!, serverUrl, agentToken, { slots: 1, dataDir: agent.dataDir, env: { SLIPWAY_AGENT_MEMORY_MB: '1024' } });
  await waitFor('the new agent process stopped it', async () => { const x = leftOf(id); return !x.processes.length && !x.workspace && !x.records; }, 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(leftOf(id))}\n${outputs()}`); });
  assert.match(agent.output(), /job \S+: a one-off an earlier process of this agent left running was not given back by the server/);
  const dyno = (await api<{ state: string; exit_code: number | null }>(s, 'GET', `/apps/${A}/dynos/${name}`)).json;
  assert.deepEqual([dyno.state, dyno.exit_code], ['down', null]);
  const log = (await cli(s, ['logs', '-a', A, '-n', '300'])).stdout;
  assert.equal(log.split(`heroku[${name}]: Process `).length - 1, 1, 'its end recorded once (lost)');
});
