// What a `git push` prints while Slipway takes the commit in: the test run, the wait for CI, the
// build output live, the release phase output live, and the outcome, which the pre-receive hook
// turns into accepting or rejecting the push.
import { getDeploy, type Deploy } from '../store/deploys.js';
import { getTestRun, countTestCases, listTestCases } from '../store/test-runs.js';
import { getBuild, getSlug } from '../store/builds.js';
import { getRelease } from '../store/releases.js';
import { isTerminal, type TestStatus } from '../core/test-run-status.js';
import { buildLogKey, releaseLogKey } from '../releases/deploy.js';
import type { PushOutcome } from '../pipelines/push.js';
import type { App } from '../store/apps.js';
import type { AppContext } from '../app-context.js';
import { followStep } from '../releases/step-output.js';

// A push's own waits (a build to start, a release to end): short (each is part of the time until the
// new code serves), and only while a push is open; one indexed read each.
const POLL_MS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(signal: AbortSignal, read: () => Promise<T | undefined>): Promise<T | undefined> {
  while (!signal.aborted) {
    const v = await read();
    if (v !== undefined) return v;
    await sleep(POLL_MS);
  }
  return undefined;
}

/** Indent buildpack output the way Heroku's push does; `----->` and `!` lines stand out already. */
async function* followLog(ctx: AppContext, key: string, pending: () => Promise<boolean>, signal: AbortSignal): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of followStep(ctx.logs, key, pending, signal)) yield decoder.decode(chunk, { stream: true });
}

/** The push's lines as they happen; whether everything it started succeeded (false when the push went away first). */
export async function* pushProgress(ctx: AppContext, app: App, sha: string, outcome: PushOutcome, runUrl: (n: number) => string, signal: AbortSignal): AsyncGenerator<string, boolean> {
  const db = ctx.store.db;
  yield `-----> Received ${sha.slice(0, 7)} for ${app.name}\n`;
  for (const n of outcome.notes) yield `       ${n}\n`;
  const run = outcome.testRun;
  if (run) yield `-----> Test run #${run.number} started: ${runUrl(run.number)}\n`;
  let ok = true;
  for (const first of outcome.deploys) {
    let d: Deploy = first;
    if (d.status === 'waiting' && run) {
      yield `-----> Waiting for test run #${run.number} to pass before deploying (wait for CI is on)\n`;
      const ended = await until(signal, async () => { const r = await getTestRun(db, run.id); return isTerminal(r.status as TestStatus) ? r : undefined; });
      if (!ended) return false;
      const counts = (await countTestCases(db, [ended.id])).get(ended.id) ?? {};
      yield `       Test run #${ended.number} ${ended.status}: ${counts['passed'] ?? 0} passed, ${counts['failed'] ?? 0} failed, ${counts['skipped'] ?? 0} skipped\n`;
      if (ended.status !== 'succeeded') {
        for (const c of (await listTestCases(db, ended.id)).filter((x) => x.status === 'failed').slice(0, 10)) yield `       ✗ ${c.description}\n`;
        if (ended.message) yield `       ${ended.message}\n`;
        yield `!      Not deployed: test run #${ended.number} ${ended.status}. ${runUrl(ended.number)}\n`;
        ok = false;
        continue;
      }
    }
    const withBuild = await until(signal, async () => { const x = await getDeploy(db, d.id); return x.build_id ? x : undefined; });
    if (!withBuild) return false;
    d = withBuild;
    yield `-----> Building on the Slipway stack\n`;
    yield* followLog(ctx, buildLogKey(d.build_id!), async () => (await getBuild(db, app.id, d.build_id!)).status === 'pending', signal);
    const build = await until(signal, async () => { const b = await getBuild(db, app.id, d.build_id!); return b.status === 'pending' ? undefined : b; });
    if (!build) return false;
    if (build.status !== 'succeeded' || !build.release_id) {
      yield `!      Push rejected to ${app.name}: the build failed${build.message ? `: ${build.message}` : ''}\n`;
      ok = false;
      continue;
    }
    const releaseId = build.release_id;
    const types = build.slug_id ? JSON.parse((await getSlug(db, build.slug_id)).process_types) as Record<string, string> : {};
    if (types['release']) {
      yield `-----> Running release command for ${app.name}...\n`;
      yield* followLog(ctx, releaseLogKey(releaseId), async () => (await getRelease(db, app.id, releaseId)).status === 'pending', signal);
    }
    const release = await until(signal, async () => { const r = await getRelease(db, app.id, releaseId); return r.status === 'pending' ? undefined : r; });
    if (!release) return false;
    if (release.status !== 'succeeded') {
      yield `!      Release v${release.version} failed${release.message ? `: ${release.message}` : ''}\n       ${app.name} keeps running its current release. Output: slipway releases:output v${release.version} -a ${app.name}\n`;
      ok = false;
      continue;
    }
    // The release is current; wait for the deploy to finish going live (dynos booted).
    yield `-----> Launching...\n`;
    await until(signal, async () => { const x = await getDeploy(db, d.id); return x.status === 'succeeded' || x.status === 'failed' ? x : undefined; });
    yield `-----> Released v${release.version}\n       http://${app.name}.${ctx.config.domain}:${ctx.config.routerPort}/ deployed to Slipway\n`;
  }
  return ok;
}
