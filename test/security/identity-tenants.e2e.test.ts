// One tenant cannot read another's environment or files, through the real server and CLI. The
// sandbox runs in `process` mode here (no pid namespace, no hidden folders): the uid alone must
// keep a dyno's /proc/PID/environ and workspace away from another app's one-off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, serverLogTails, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/runs.js';
import { commitAll } from '../helpers/apps.js';
import { secretKeeperRepo } from './identity-fixtures.js';
import { openStore } from '../../src/store/db.js';

let s: TestServer;
let repo: string;
const SECRET = `keeper-secret-${process.pid}-${Date.now()}`;

/** The victim's dyno, found as root: its pid, uid and workspace. */
function findKeeper(): { pid: number; uid: number; cwd: string } | undefined {
  for (const ent of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (!fs.readFileSync(`/proc/${ent}/environ`, 'latin1').includes(`KEEPER_SECRET=${SECRET}`)) continue;
      if (fs.readFileSync(`/proc/${ent}/comm`, 'utf8').trim() !== 'node') continue;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${ent}/status`, 'utf8'))![1]);
      return { pid: Number(ent), uid, cwd: fs.readlinkSync(`/proc/${ent}/cwd`) };
    } catch { /* gone or not ours */ }
  }
  return undefined;
}

/**
 * Processes of this test's server running as `uid`, as root sees them: those whose working folder or
 * command line is under its data folder (other tests' servers, running alongside, hand out the same uids).
 */
function uidProcesses(uid: number): Array<{ pid: number; cmd: string }> {
  const found: Array<{ pid: number; cmd: string }> = [];
  for (const ent of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const status = fs.readFileSync(`/proc/${ent}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)![1]) !== uid || /^State:\s+[ZX]/m.test(status)) continue; // an exited process runs nothing
      const cmd = fs.readFileSync(`/proc/${ent}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!fs.readlinkSync(`/proc/${ent}/cwd`).startsWith(`${s.dataDir}/`) && !cmd.includes(`${s.dataDir}/`)) continue;
      found.push({ pid: Number(ent), cmd });
    } catch { /* gone */ }
  }
  return found;
}

before(async () => {
  repo = secretKeeperRepo();
  s = await startServer({ SLIPWAY_SANDBOX: 'process', SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
});
after(async () => {
  await s.stop();
  fs.rmSync(repo, { recursive: true, force: true });
});

test('an app\'s one-off cannot read another app\'s /proc/PID/environ or workspace; each runs as its own uid, never root\'s or the sandbox user\'s', { timeout: 240_000 }, async () => {
  for (const a of ['keeper', 'prowler']) {
    assert.equal((await cli(s, ['apps:create', a])).code, 0);
    if (a === 'keeper') assert.equal((await cli(s, ['config:set', '-a', a, `KEEPER_SECRET=${SECRET}`])).code, 0);
    const b = await cli(s, ['builds:create', '-a', a], { cwd: repo, timeoutMs: 180_000 });
    assert.equal(b.code, 0, b.stdout + b.stderr);
  }
  const keeper = await waitFor('the keeper dyno', async () => findKeeper(), 60_000);
  assert.ok(fs.existsSync(path.join(keeper.cwd, 'secret.txt')), 'the victim wrote its file');
  const ws = path.dirname(keeper.cwd);
  const st = fs.statSync(ws);
  assert.equal(st.mode & 0o777, 0o700, 'a workspace is private to its tenant');
  assert.equal(st.uid, keeper.uid);

  const attack = [
    'echo "prowler uid=$(id -u)"',
    `for f in /proc/[0-9]*/environ; do if tr '\\0' '\\n' < "$f" 2>/dev/null | grep -q KEEPER_SECRET; then echo "LEAK-ENVIRON $f"; fi; done`,
    `cat /proc/${keeper.pid}/environ 2>/dev/null | tr '\\0' '\\n' | grep KEEPER_SECRET && echo LEAK-ENVIRON-DIRECT`,
    `cat ${keeper.cwd}/secret.txt 2>/dev/null && echo LEAK-FILE`,
    `ls ${ws} 2>/dev/null && echo LEAK-LIST`,
    `echo intruder > ${keeper.cwd}/planted 2>/dev/null && echo LEAK-WRITE`,
    'echo scan-done',
  ].join('; ');
  const r = await cli(s, ['run', '-a', 'prowler', '--', attack]);
  assert.match(r.stdout, /scan-done/, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /LEAK-/, 'nothing of the other tenant is readable');
  assert.ok(!r.stdout.includes(SECRET));
  assert.ok(!fs.existsSync(path.join(keeper.cwd, 'planted')));
  const prowlerUid = Number(/prowler uid=(\d+)/.exec(r.stdout)![1]);
  const nobody = Number(fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))!.split(':')[2]);
  for (const uid of [keeper.uid, prowlerUid]) {
    assert.notEqual(uid, 0);
    assert.notEqual(uid, process.getuid!(), 'not the server\'s uid');
    assert.notEqual(uid, nobody, 'not the shared sandbox user');
  }
  assert.notEqual(keeper.uid, prowlerUid, 'two apps never share a uid');
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('an app\'s Postgres add-on runs as a uid of its own: the app\'s one-off cannot read its data files or environ', { timeout: 180_000 }, async () => {
  const made = await cli(s, ['addons:create', 'heroku-postgresql', '-a', 'prowler']);
  assert.equal(made.code, 0, made.stdout + made.stderr);
  const pg = await waitFor('the add-on\'s postgres', async () => {
    for (const ent of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const argv = fs.readFileSync(`/proc/${ent}/cmdline`, 'utf8').split('\0');
        const data = argv[argv.indexOf('-D') + 1];
        if (!argv[0]!.endsWith('/postgres') || !data?.startsWith(s.dataDir) || !data.includes('app-addon-')) continue;
        return { pid: Number(ent), data, uid: Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${ent}/status`, 'utf8'))![1]) };
      } catch { /* gone */ }
    }
    return undefined;
  });
  assert.equal(fs.statSync(pg.data).uid, pg.uid, 'the data files belong to the add-on\'s uid');
  const attack = [
    'echo "app uid=$(id -u)"',
    `ls ${pg.data} 2>/dev/null && echo LEAK-LIST`,
    `cat ${pg.data}/PG_VERSION 2>/dev/null && echo LEAK-FILE`,
    `cat ${pg.data}/global/pg_control > /dev/null 2>&1 && echo LEAK-CONTROL`,
    `cat /proc/${pg.pid}/environ > /dev/null 2>&1 && echo LEAK-ENVIRON`,
    'echo scan-done',
  ].join('; ');
  const r = await cli(s, ['run', '-a', 'prowler', '--', attack]);
  assert.match(r.stdout, /scan-done/, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /LEAK-/);
  const appUid = Number(/app uid=(\d+)/.exec(r.stdout)![1]);
  assert.notEqual(pg.uid, appUid, 'the add-on never runs as its app');
  assert.notEqual(pg.uid, 0);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('destroying an app frees its uid; a restarted server keeps the uid of an app that stays', { timeout: 240_000 }, async () => {
  const before = findKeeper()!;
  await s.stop();
  s = await startServer({ SLIPWAY_SANDBOX: 'process', SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' }, s.dataDir);
  const after = await waitFor('the keeper dyno after a restart', async () => findKeeper(), 60_000);
  assert.equal(after.uid, before.uid, 'the app keeps its uid (its files belong to it)');
  assert.match(s.output(), /tenant uids: each app, test run and add-on set runs as its own uid/);
  // A one-off left running would keep the uid the range hands to a later app (and that app's files).
  const lingering = await cli(s, ['run', '-a', 'keeper', '--detached', '--', 'sleep 300']);
  const name = /as (run\.\d+)/.exec(lingering.stdout)?.[1];
  assert.ok(name, lingering.stdout + lingering.stderr);
  await waitFor('the one-off to run as the app', async () => uidProcesses(before.uid).some((p) => p.cmd === 'sleep 300'), 60_000);
  // And a build in flight (its postbuild script never ends by itself).
  fs.writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: 'keeper', version: '1.0.0', private: true, scripts: { 'heroku-postbuild': 'sleep 301' } }));
  commitAll(repo, 'a build that takes its time');
  const building = cli(s, ['builds:create', '-a', 'keeper'], { cwd: repo, timeoutMs: 90_000 });
  await waitFor('the build to run as the app', async () => uidProcesses(before.uid).some((p) => p.cmd === 'sleep 301'), 90_000);
  const keeperId = (await api<{ id: string }>(s, 'GET', '/apps/keeper')).json.id;
  const destroyed = await cli(s, ['apps:destroy', '-a', 'keeper', '--confirm', 'keeper']);
  assert.equal(destroyed.code, 0, destroyed.stdout + destroyed.stderr);
  assert.equal(findKeeper(), undefined);
  await waitFor('nothing to run as the freed uid', async () => uidProcesses(before.uid).length === 0, 10_000)
    .catch(() => assert.fail(`still running as uid ${before.uid} after apps:destroy: ${JSON.stringify(uidProcesses(before.uid))}\n${serverLogTails(s)}`));
  const built = await building;
  assert.notEqual(built.code, 0, `the build ended with its app: ${built.stdout}`);
  assert.doesNotMatch(built.stdout + built.stderr, /Discovering process types/, 'it went no further than the step it was in');
  const store = await openStore({ dataDir: s.dataDir });
  try {
    const held = await store.db.selectFrom('tenant_ids').select('owner').where('uid', '=', before.uid).execute();
    assert.deepEqual(held, [], 'the uid went back to the range');
    assert.deepEqual(await store.db.selectFrom('one_off_dynos').select('name').where('app_id', '=', keeperId).execute(), [], 'the destroyed app\'s one-off rows went with it');
    assert.deepEqual(await store.db.selectFrom('one_off_counters').select('last').where('app_id', '=', keeperId).execute(), [], 'and its run.N counter');
  } finally { await store.close(); }
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});
