// The app.json of a review app's code, and its scripts (`postdeploy`, `pr-predestroy`) run as one-off
// dynos of the app's current release, to the end, with their output kept in the app's log.
import type { App } from '../store/apps.js';
import { currentRelease, type Release } from '../store/releases.js';
import { sourceIdFromUrl, sourceKey } from '../git/source-blobs.js';
import { isAppJson, scanTarball } from '../git/tar-scan.js';
import { parseAppJson, type AppJson } from '../core/app-json.js';
import { slugFile } from '../releases/slugs.js';
import { appendAppLog } from '../releases/app-log.js';
import type { AppContext } from '../app-context.js';
import { oneOffPlacement, placeOneOff } from '../scheduler/one-off-placement.js';
import { oneOffLogKey, startOnAgent } from '../releases/agent-one-offs.js';
import { findOneOff } from '../store/one-off-dynos.js';
import { DEFAULT_DYNO_SIZE } from '../core/dyno-size.js';
import { sleep } from '../core/sleep.js';

/** app.json of a source blob we store (at its root or under one top folder); {} when absent. */
export async function appJsonOfSource(ctx: AppContext, sourceBlobUrl: string): Promise<AppJson> {
  const id = sourceIdFromUrl(sourceBlobUrl);
  const file = id ? await ctx.blobs.localFile(sourceKey(id)) : undefined;
  if (!file) return {};
  const r = await scanTarball(file, ctx.config.inputLimits, 'The source', isAppJson);
  if (!r.ok) throw new Error(r.message);
  if (r.member === null) return {};
  const parsed = parseAppJson(r.member.data.toString('utf8'));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

/** app.json of the code a release runs (the source of the build that made its slug). */
export async function appJsonOfRelease(ctx: AppContext, release: Release): Promise<AppJson> {
  if (!release.slug_id) return {};
  const build = await ctx.store.db.selectFrom('builds').select('source_blob_url').where('slug_id', '=', release.slug_id).executeTakeFirst();
  return build ? appJsonOfSource(ctx, build.source_blob_url) : {};
}

export interface ScriptOutcome { exitCode: number; output: string }

/**
 * Run `command` in a one-off dyno of the app's current release, where the app's one-offs run (the
 * agent beside its add-on servers, say), and wait for it to exit.
 */
export async function runScript(ctx: AppContext, app: App, label: string, command: string): Promise<ScriptOutcome> {
  const release = await currentRelease(ctx.store.db, app.id);
  if (!release?.slug_id) return { exitCode: 1, output: `${app.name} has no release with code to run ${label} in` };
  appendAppLog(ctx.logs, app.id, 'app[api]', `Running ${label}: ${command}`);
  const place = await placeOneOff(ctx.store.db, app.id, DEFAULT_DYNO_SIZE, oneOffPlacement(ctx.config));
  let exitCode: number | null;
  let output: string;
  if (place.server) {
    const run = ctx.oneOffs.start(app.id, { slugFile: await slugFile(ctx.blobs, release.slug_id), config: JSON.parse(release.config) as Record<string, string>, tenant: await ctx.tenants.forApp(app.id) }, command, {});
    while (run.state !== 'down') await sleep(200);
    output = ctx.logs.read(run.logKey);
    exitCode = run.exitCode;
  } else {
    const row = await startOnAgent(ctx, place.agentId, { appId: app.id, releaseId: release.id, slugId: release.slug_id, command, env: {}, size: DEFAULT_DYNO_SIZE, attach: false });
    let now = row;
    while (now.state !== 'down') { await sleep(250); now = (await findOneOff(ctx.store.db, app.id, row.id)) ?? { ...now, state: 'down', exit_code: null }; }
    output = ctx.logs.read(oneOffLogKey(row.id));
    exitCode = now.exit_code;
  }
  for (const line of output.split('\n').filter(Boolean)) appendAppLog(ctx.logs, app.id, `app[${label}]`, line);
  appendAppLog(ctx.logs, app.id, 'app[api]', `${label} exited with status ${exitCode ?? 'unknown (its dyno was lost)'}`);
  return { exitCode: exitCode ?? 1, output };
}

/** The last lines of a script's output, for a one-line record. */
export const outputTail = (s: string, max = 300): string => {
  const t = s.trim().split('\n').slice(-3).join(' | ');
  return t.length > max ? `…${t.slice(-max)}` : t;
};
