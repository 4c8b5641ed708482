// A dyno that floods its log: the app's log stays within its bound on disk (two segments of 5 MB,
// rotated without copying), a line dropped on the way (the agent keeps up to 20,000 waiting) is
// said in the app's log (Logplex's L10), `logs` gives the newest lines in order, and the server
// answers throughout. The dyno's output file on the agent takes at most a few MB of disk however
// much it writes (read bytes are given back, never a hole of NUL bytes read back as lines). Beside
// it, on the same agent, a dyno writing NUL bytes (six times their size in JSON) and another app's
// quiet dyno: the quiet app's lines all arrive, none said dropped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { repoWithFiles } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { assertAnswered, healthProbe } from '../helpers/health-probe.js';

const A = 'flooder';
const LINES = 300_000;
// 300,000 numbered lines of about 100 bytes (30 MB, three times the bound) at about 10 MB/s (faster, the
// agent skips what waits past 8 MB, as Logplex's L10 does), then one last line; then it idles.
const FLOOD = `const pad = 'x'.repeat(80);
let i = 0;
const step = () => {
  let chunk = '';
  for (let k = 0; k < 2000 && i < ${LINES}; k++) chunk += 'flood ' + String(i++).padStart(6, '0') + ' ' + pad + '\\n';
  process.stdout.write(chunk, () => (i < ${LINES} ? setTimeout(step, 20) : console.log('flood done')));
};
step();
setInterval(() => {}, 1000);
`;
// 1,000 lines of 2,000 NUL bytes each, as fast as the pipe takes them.
const NULS = `const nul = '\\0'.repeat(2000) + '\\n';
let i = 0;
const step = () => { if (i++ < 1000) process.stdout.write(nul.repeat(10), () => setTimeout(step, 1)); };
step();
setInterval(() => {}, 1000);
`;
const QUIET = `let i = 0;
const t = setInterval(() => { console.log('quiet ' + i++); if (i === 1000) clearInterval(t); }, 5);
setInterval(() => {}, 1000);
`;

/** Files under `dir` that `want` takes. */
function findFiles(dir: string, want: (file: string) => boolean): string[] | undefined {
  const found = (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => { try { return fs.statSync(f).isFile() && want(f); } catch { return false; } });
  return found.length ? found : undefined;
}

let s: TestServer;
after(async () => { await s?.stop(); });

test('a dyno writing 30 MB of log: the app keeps at most 10 MB of it on disk, what was dropped is said (L10), the newest lines come in order; the server answers throughout', { timeout: 240_000 }, async () => {
  s = await startServer();
  const dir = repoWithFiles({ 'package.json': JSON.stringify({ name: 'flooder', version: '1.0.0', private: true }), Procfile: 'flood: node flood.js\nnul: node nuls.js\nquiet: node quiet.js\n', 'flood.js': FLOOD, 'nuls.js': NULS, 'quiet.js': QUIET });
  for (const app of [A, 'quiet']) {
    assert.equal((await cli(s, ['apps:create', app])).code, 0);
    const b = await cli(s, ['builds:create', '-a', app], { cwd: dir, timeoutMs: 180_000 });
    assert.equal(b.code, 0, b.stdout + b.stderr);
  }
  const id = ((await api(s, 'GET', `/apps/${A}`)).json as { id: string }).id;
  const logDir = path.join(s.dataDir, 'logs', 'apps', id);
  // The two segments (an older one being removed in the background, `.gone`, is not kept).
  const onDisk = () => ['log.log', 'log.log.1'].reduce((n, f) => { try { return n + fs.statSync(path.join(logDir, f)).size; } catch { return n; } }, 0);

  const health = healthProbe(s);
  const from = performance.now();
  assert.equal((await cli(s, ['ps:scale', 'flood=1', 'nul=1', '-a', A])).code, 0);
  assert.equal((await cli(s, ['ps:scale', 'quiet=1', '-a', 'quiet'])).code, 0);
  let most = 0;
  await waitFor('the flood to reach the app\'s log', async () => {
    most = Math.max(most, onDisk());
    return /app\[flood\.1\]: flood done/.test((await cli(s, ['logs', '-n', '5', '-a', A])).stdout);
  }, 180_000);
  const to = performance.now();
  const report = await health.stop();
  console.log(`# log flood: ${(most / 2 ** 20).toFixed(1)} MB on disk at most; ${report.summary}`);
  assertAnswered(report, from, to, 'a dyno flooding its log');

  // Two segments of up to 5 MB (one write past it, at most a batch of lines), the older dropped whole.
  assert.ok(most <= 11 * 2 ** 20, `the app's log held ${most} bytes on disk: more than its 10 MB bound`);
  assert.ok(onDisk() >= 5 * 2 ** 20, `at least half the bound is kept (${onDisk()} bytes on disk)`);
  // The newer segment is made by the first write after a rotation: a rotation by the last batch leaves only the older.
  await waitFor('the older segment to be removed', async () => !fs.readdirSync(logDir).some((f) => f.endsWith('.gone')), 10_000);
  const files = fs.readdirSync(logDir).sort();
  assert.ok(files.includes('log.log.1') && files.every((f) => f === 'log.log' || f === 'log.log.1'), `the app's log files: ${files.join(', ')}`);
  // Nothing went missing unsaid: a line the pipeline dropped (it takes what a dyno writes up to a bound) is counted in an L10 line.
  const kept = files.reverse().map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')).join('').split('\n');
  const present = kept.map((l) => /app\[flood\.1\]: flood (\d{6}) /.exec(l)?.[1]).filter((n) => n !== undefined).map(Number);
  const missing = present.at(-1)! - present[0]! + 1 - present.length;
  // Said in lines by the agent's shipper, or in bytes by the output's reader (a flood line is 94 bytes; the one it cut into is lost too).
  const said = kept.reduce((n, l) => n + Number(/heroku\[logplex\]: Error L10 \(output buffer overflow\): (\d+) messages dropped since /.exec(l)?.[1] ?? 0)
    + Number(/heroku\[logplex\]: Error L10 \(output buffer overflow\): flood\.1 wrote (\d+) bytes more than/.exec(l)?.[1] ?? -94) / 94 + 1, 0);
  console.log(`# log flood: lines ${present[0]}–${present.at(-1)} kept, ${missing} of them missing, ${Math.floor(said)} said dropped (L10)`);
  assert.ok(missing <= said, `${missing} lines went missing from the app's log, ${said} were said dropped`);
  // Every line of the flood dyno is one it wrote: no NUL bytes of a hole read back, none cut.
  const strays = kept.filter((l) => l.includes('app[flood.1]: ') && !/app\[flood\.1\]: (flood \d{6} x{80}|flood done)$/.test(l));
  assert.deepEqual(strays.map((l) => JSON.stringify(l.slice(0, 120))), [], 'lines of the flood dyno it did not write');
  // Its output file on the agent: as large as all it wrote, on disk only what was not read yet.
  const outs = (await waitFor('the flood dyno\'s output file', async () => findFiles(s.dataDir, (f) => f.endsWith('.out') && fs.statSync(f).size > 25 * 2 ** 20), 10_000));
  const out = fs.statSync(outs[0]!);
  console.log(`# log flood: the dyno's output file: ${(out.size / 2 ** 20).toFixed(1)} MB written, ${(out.blocks * 512 / 2 ** 20).toFixed(1)} MB on disk`);
  assert.ok(out.blocks * 512 <= 4 * 2 ** 20, `the dyno's output file holds ${out.blocks * 512} bytes on disk`);
  // The quiet app, on the same agent: every line, in order, none said dropped.
  const quiet = await waitFor('the quiet app\'s 1,000 lines', async () => {
    const l = (await cli(s, ['logs', '-n', '1500', '-a', 'quiet'])).stdout.split('\n');
    return l.some((x) => x.endsWith('quiet 999')) && l;
  }, 30_000);
  assert.deepEqual(quiet.filter((l) => l.includes('app[quiet.1]:')).map((l) => /quiet (\d+)$/.exec(l)?.[1]), Array.from({ length: 1000 }, (_, i) => String(i)));
  assert.equal(quiet.filter((l) => /L10/.test(l)).length, 0, 'the quiet app lost nothing');

  const lines = (await cli(s, ['logs', '-n', '1500', '-a', A])).stdout.split('\n').filter((l) => l.includes('app[flood.1]: flood '));
  const numbers = lines.filter((l) => !l.endsWith('flood done')).map((l) => Number(/flood (\d{6}) /.exec(l)![1]));
  assert.ok(numbers.length >= 1400, `logs -n 1500 gave ${numbers.length} flood lines`);
  assert.equal(numbers.at(-1), LINES - 1, 'the newest line is the last one written');
  assert.ok(numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1), 'the newest lines come in order, none missing, none twice');
  assert.match(lines.at(-1)!, /flood done$/);
});
