// bench/network: what a sandbox's own network namespace costs. The namespace itself (ip netns add,
// veth on the default network's bridge, address and routes: two `ip -batch` calls) and its removal,
// and one sandboxed command (`true` under bubblewrap) with and without the namespace, in one run.
// Needs root. Nothing leaves this machine; everything made is removed at the end.
import { createSandbox } from '../src/sandbox/sandbox.js';
import { DefaultNetwork } from '../src/spaces/default-network.js';
import { releaseTag } from '../src/spaces/owners.js';
import { netAdminProblem } from '../test/helpers/netns.js';

const problem = netAdminProblem();
if (problem) { console.log(`bench/network skipped: it ${problem}`); process.exit(0); }
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 20);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = { info: () => {}, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

const net = new DefaultNetwork({ tag: 'beef', log, serverUid: 0, dns: ['127.0.0.1'] });
await net.up();
try {
  const sandbox = createSandbox({ mode: 'auto', userName: 'nobody', hidden: [], graceMs: 1000 });
  const run = async (netns?: string) => {
    const t = performance.now();
    const r = await sandbox.run({ argv: ['true'], cwd: '/', env: { PATH: '/usr/bin:/bin' }, writable: [], marker: 'bench-network', netns });
    if (r.exitCode !== 0) throw new Error(`true failed: ${JSON.stringify(r)}`);
    return performance.now() - t;
  };
  const attach: number[] = []; const release: number[] = []; const plain: number[] = []; const inNs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    const n = await net.attach('app:bench', `bench-${i}`);
    attach.push(performance.now() - t);
    plain.push(await run());
    inNs.push(await run(n.netns));
    t = performance.now();
    await n.release();
    release.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 300)); // sandboxes rarely start back to back: the spares refill
  }
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    // Several at once: the spares run out and the rest are made on the spot.
    const t = performance.now();
    const all = await Promise.all([1, 2, 3, 4, 5, 6].map((k) => net.attach('app:bench', `cold-${i}-${k}`)));
    cold.push((performance.now() - t) / all.length);
    await Promise.all(all.map((n) => n.release()));
  }
  const f = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`bench/network (${ROUNDS} rounds, medians; sandbox ${sandbox.mode}):`);
  console.log(`  namespace, taken ready-made            ${f(median(attach))}`);
  console.log(`  namespace, 6 at once (made on the spot) ${f(median(cold))} each`);
  console.log(`  namespace removal                    ${f(median(release))}`);
  console.log(`  sandboxed 'true', host network       ${f(median(plain))}`);
  console.log(`  sandboxed 'true', own namespace      ${f(median(inNs))}  (ip netns exec + setpriv)`);
  console.log(`  added per sandbox start              ${f(median(attach) + median(inNs) - median(plain))}  (namespace + entering it)`);
} finally {
  await net.down();
  releaseTag('beef');
}
