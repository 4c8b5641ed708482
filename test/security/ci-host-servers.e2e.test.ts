// Attack through a test run: a suite that starts the host's own Redis or PostgreSQL server instead
// of asking for an add-on. A Heroku test dyno has no such server, so neither may a Slipway test
// node; the add-ons themselves (servers started outside the node) and their clients still work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, type TestServer } from '../helpers/server.js';
import { latestRun, casesOf } from '../helpers/runs.js';
import { hostileRepo } from '../helpers/hostile.js';
import { needs } from '../helpers/tools.js';

const skip = needs('bwrap', 'redis', 'postgres');
let s: TestServer;
const P = 'host-servers';

before(async () => { if (!skip) { s = await startServer(); assert.equal((await cli(s, ['pipelines:create', P])).code, 0); } });
after(async () => { await s?.stop(); });

/** Each attempt is a TAP point that passes only when the host's server program ran. */
const ATTACK = `#!/bin/bash
echo 1..4
try() { if eval "$2" >/dev/null 2>&1; then echo "ok $1 - $3"; else echo "not ok $1 - $3"; fi; }
try 1 "redis-server --port 16399 --save '' --daemonize yes && sleep 0.5 && redis-cli -p 16399 ping | grep -q PONG" "a Redis of the host's own, by PATH"
try 2 "/usr/bin/redis-server --version" "redis-server by its absolute path"
try 3 "ls /usr/lib/postgresql/*/bin/postgres && \\$(ls /usr/lib/postgresql/*/bin/postgres | head -1) --version" "the host's postgres by its absolute path"
try 4 "initdb --version" "initdb by PATH"
`;

test("a suite that starts the host's redis-server or postgres fails: a test node has none", { skip, timeout: 180_000 }, async () => {
  const r = await cli(s, ['ci:run', '-p', P], { cwd: hostileRepo({ files: { 'attack.sh': ATTACK }, appJson: { environments: { test: { buildpacks: [{ url: './bp' }], scripts: { test: './attack.sh' } } } } }), timeoutMs: 170_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const run = await latestRun(s, P);
  assert.equal(run.status, 'failed');
  assert.deepEqual((await casesOf(s, run.id)).map((c) => c.status), ['failed', 'failed', 'failed', 'failed'], r.stdout);
});

test('the add-ons still work: their Redis answers the run, through the client the stack has', { skip, timeout: 180_000 }, async () => {
  const repo = hostileRepo({
    files: { 'ping.sh': '#!/bin/bash\necho 1..1\nif [ "$(redis-cli -u "$REDIS_URL" ping)" = PONG ]; then echo "ok 1 - the add-on answers"; else echo "not ok 1 - the add-on answers"; fi\n' },
    appJson: { environments: { test: { addons: ['heroku-redis:in-dyno'], buildpacks: [{ url: './bp' }], scripts: { test: './ping.sh' } } } },
  });
  const r = await cli(s, ['ci:run', '-p', P], { cwd: repo, timeoutMs: 170_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /succeeded: 1 passed/);
});
