// One-off dynos (`run`, `run:detached`, `heroku run`): placed on an agent as dynos are (their row
// and job in the store), or run by this server for server-bound apps; both answer with the same
// shape, stop the same way, and attach the same way (output followed from the one-off's log,
// input relayed to wherever it runs).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod/v3';
import { getApp, type App } from '../store/apps.js';
import { currentRelease } from '../store/releases.js';
import { listAppDynos } from '../store/desired-dynos.js';
import { findOneOff, liveOneOffs, type OneOffRow } from '../store/one-off-dynos.js';
import { slugFile } from '../releases/slugs.js';
import { followStep } from '../releases/step-output.js';
import { publishAppEvent } from '../webhooks/publish.js';
import { appendAppLog } from '../releases/app-log.js';
import { oneOffLogKey, startOnAgent, stopOnAgent } from '../releases/agent-one-offs.js';
import { oneOffPlacement, placeOneOff } from '../scheduler/one-off-placement.js';
import { fail } from '../core/errors.js';
import { DEFAULT_DYNO_SIZE, lookupDynoSize } from '../core/dyno-size.js';
import type { AppContext } from '../app-context.js';
import type { OneOff } from '../runtime/one-off.js';
import { terminalSize } from '../runtime/one-off-terminal.js';
import { parseBody } from './errors.js';
import { accountEmail } from './heroku/shapes.js';
import { attachUrl } from './heroku/rendezvous.js';

/** The header by which `slipway run` says it sends its input (POST …/input) beside the output it follows. */
export const INPUT_HEADER = 'x-slipway-input';

/** A one-off as the API shows it, wherever it runs. */
interface Shown { id: string; appId: string; name: string; command: string; size: string; state: string; exitCode: number | null; createdAt: string; updatedAt: string; logKey: string }
const fromRow = (r: OneOffRow): Shown => ({ id: r.id, appId: r.app_id, name: r.name, command: r.command, size: r.size, state: r.state, exitCode: r.exit_code === null ? null : Number(r.exit_code), createdAt: r.created_at, updatedAt: r.updated_at, logKey: oneOffLogKey(r.id) });
const fromRun = (r: OneOff): Shown => ({ id: r.id, appId: r.appId, name: r.name, command: r.command, size: r.size, state: r.state, exitCode: r.exitCode, createdAt: r.createdAt, updatedAt: r.createdAt, logKey: r.logKey });

/** The JSON of one one-off dyno (Heroku's dyno resource, with its attach_url). */
function oneOffJson(ctx: AppContext, req: FastifyRequest, a: App, r: Shown) {
  return {
    id: r.id, name: r.name, type: 'run', state: r.state, command: r.command, exit_code: r.exitCode, app: { id: a.id, name: a.name }, created_at: r.createdAt,
    attach_url: attachUrl(ctx, req, `/apps/${a.id}/dynos/${r.id}/attach`), size: r.size, updated_at: r.updatedAt,
  };
}

/** An app's running one-offs, as `GET /apps/:app/dynos` lists them after the formation's. */
export async function listedOneOffs(ctx: AppContext, req: FastifyRequest, a: App): Promise<Array<ReturnType<typeof oneOffJson>>> {
  return [...ctx.oneOffs.list(a.id).map(fromRun), ...(await liveOneOffs(ctx.store.db, a.id)).map(fromRow)].map((r) => oneOffJson(ctx, req, a, r));
}

/** Where a one-off's input goes: this server's own run, or the relay to its agent; undefined when nothing takes input. */
function inputOf(ctx: AppContext, id: string): { plain(): NodeJS.WritableStream | undefined; end(): void } {
  const run = ctx.oneOffs.get(id);
  if (run) return { plain: () => { if (!run.input || run.attached) return undefined; run.attached = true; return run.input; }, end: () => { run.attached = true; run.input?.end(); } };
  return { plain: () => ctx.oneOffs.relays.attachPlain(id), end: () => ctx.oneOffs.relays.end(id) };
}

export async function oneOffRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  /** By id, or by name (run.1) as the heroku CLI asks; this server's runs first. */
  const find = async (a: App, idOrName: string): Promise<Shown | undefined> => {
    const run = ctx.oneOffs.get(idOrName) ?? ctx.oneOffs.list(a.id).find((x) => x.name === idOrName);
    if (run?.appId === a.id) return fromRun(run);
    const row = await findOneOff(db, a.id, idOrName);
    return row && fromRow(row);
  };

  // POST starts one; its attach_url streams the output until it exits.
  app.post<{ Params: { app: string } }>('/apps/:app/dynos', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    // The heroku CLI sends COLUMNS and LINES as numbers when it has a terminal.
    const b = parseBody(z.object({
      command: z.string().min(1), env: z.record(z.string(), z.union([z.string(), z.number()])).optional(), attach: z.boolean().optional(),
      force_no_tty: z.boolean().nullable().optional(), size: z.string().optional(),
    }).passthrough(), req.body);
    const env = Object.fromEntries(Object.entries(b.env ?? {}).map(([k, v]) => [k, String(v)]));
    const size = lookupDynoSize(b.size ?? DEFAULT_DYNO_SIZE);
    if (!size.ok) throw fail('invalid_params', `${size.message} (size of the one-off dyno)`);
    const release = await currentRelease(db, a.id);
    if (!release?.slug_id) throw fail('invalid_state', `${a.name} has no release with code yet; deploy it first (\`slipway builds:create -a ${a.name}\`).`);
    // A terminal when the client attaches from one (it sent its window size) and did not refuse it (--no-tty).
    const terminal = b.attach && !b.force_no_tty ? terminalSize(b.env ?? {}) : undefined;
    const place = await placeOneOff(db, a.id, size.size.name, oneOffPlacement(ctx.config));
    const shown = place.server
      ? fromRun(ctx.oneOffs.start(a.id, { slugFile: await slugFile(ctx.blobs, release.slug_id), config: JSON.parse(release.config) as Record<string, string>, tenant: await ctx.tenants.forApp(a.id) },
        b.command, env, size.size, { attach: !!b.attach, terminal }))
      : fromRow(await startOnAgent(ctx, place.agentId, { appId: a.id, releaseId: release.id, slugId: release.slug_id, command: b.command, env, size: size.size.name, attach: !!b.attach, terminal }));
    appendAppLog(ctx.logs, a.id, 'app[api]', `Starting process with command \`${b.command}\` by user ${accountEmail(req.actor?.name ?? 'unknown')}`);
    const json = oneOffJson(ctx, req, a, shown);
    await publishAppEvent(ctx, { appId: a.id, include: 'api:dyno', resource: 'dyno', action: 'create', data: json, actor: req.actor?.name });
    return reply.status(201).send(json);
  });

  app.get<{ Params: { app: string; id: string } }>('/apps/:app/dynos/:id', async (req) => {
    const a = await getApp(db, req.params.app);
    const r = await find(a, req.params.id);
    if (!r) throw fail('not_found', `No dyno ${req.params.id} on ${a.name}.`);
    return oneOffJson(ctx, req, a, r);
  });

  app.post<{ Params: { app: string; dyno: string } }>('/apps/:app/dynos/:dyno/actions/stop', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    if (ctx.oneOffs.stop(a.id, req.params.dyno)) return reply.status(202).send({});
    const row = await findOneOff(db, a.id, req.params.dyno);
    if (row && row.state !== 'down') { await stopOnAgent(ctx, row); return reply.status(202).send({}); }
    if ((await listAppDynos(db, a.id)).some((d) => d.name === req.params.dyno || d.process_type === req.params.dyno)) {
      throw fail('invalid_state', `${req.params.dyno} is part of the formation; scale it instead (\`slipway ps:scale ${req.params.dyno.split('.')[0]}=N -a ${a.name}\`) or restart it (\`ps:restart\`).`);
    }
    throw fail('not_found', `No running dyno ${req.params.dyno} on ${a.name}; see \`slipway ps -a ${a.name}\`.`);
  });

  // The output as a plain HTTP stream. Input: none (the command reads end of file), unless the
  // client says it sends its input alongside (`slipway run`, POST …/input).
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/dynos/:id/attach', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const r = await find(a, req.params.id);
    if (!r) throw fail('not_found', `No dyno ${req.params.id} on ${a.name}.`);
    if (req.headers[INPUT_HEADER] !== 'stream') inputOf(ctx, r.id).end();
    const ac = new AbortController();
    req.raw.on('close', () => ac.abort());
    // Output is live here from the start (this server runs it, or records its agent's events); after a restart, it waits for the next.
    const pending = async () => (await find(a, r.id))?.state !== 'down';
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(Readable.from(followStep(ctx.logs, r.logKey, pending, ac.signal)));
  });

  // `slipway run`'s input: the request body, byte for byte, until it ends (then the command reads end of file).
  app.post<{ Params: { app: string; id: string } }>('/apps/:app/dynos/:id/input', { bodyLimit: 1024 * 1024 * 1024 }, async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const r = await find(a, req.params.id);
    if (!r) throw fail('not_found', `No dyno ${req.params.id} on ${a.name}.`);
    // Ended before its input came (a command that reads none): nothing to deliver, nothing wrong.
    if (r.state === 'down') return reply.status(204).send();
    const to = inputOf(ctx, r.id).plain();
    if (!to) throw fail('conflict', `${r.name} already has a client attached, or was started detached.`);
    const body = req.body as Readable;
    // Piped, so a command that does not read its input holds the client back (TCP) instead of this
    // server buffering everything the client sends (up to the body limit) in memory.
    await new Promise<void>((resolve) => {
      body.pipe(to, { end: false });
      body.once('end', resolve);
      body.once('error', () => resolve());
      body.once('close', () => resolve());
    });
    body.unpipe(to);
    to.end();
    return reply.status(204).send();
  });
}
